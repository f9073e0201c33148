//! The arrays and maps of the binary writers (MsgPack, CBOR): written with their head in
//! front when the length is known, counted and given their head at the end when it is not.

use serde::ser::{self, Serialize};

use super::codec_error::CodecError;

/// What a binary writer lends its arrays and maps.
pub(crate) trait BinaryWriter {
    /// The bytes written so far.
    fn out(&mut self) -> &mut Vec<u8>;
    /// Writes the head of an array (`map == false`) or map of `len` entries into `out`.
    fn head(out: &mut Vec<u8>, len: usize, map: bool);
    /// Writes a struct field's name, a map key.
    fn key(&mut self, key: &str);
}

/// An array or map being written.
pub(crate) struct Compound<'a, W> {
    writer: &'a mut W,
    declared: Option<usize>,
    start: usize,
    count: usize,
    map: bool,
}

impl<'a, W: BinaryWriter> Compound<'a, W> {
    /// Starts an array or map of `len` entries (`None`: counted as they come).
    pub(crate) fn begin(writer: &'a mut W, len: Option<usize>, map: bool) -> Compound<'a, W> {
        let start = writer.out().len();
        if let Some(len) = len {
            W::head(writer.out(), len, map);
        }
        Compound {
            writer,
            declared: len,
            start,
            count: 0,
            map,
        }
    }

    fn finish(self) -> Result<(), CodecError> {
        match self.declared {
            Some(len) if len == self.count => Ok(()),
            Some(len) => Err(CodecError(format!(
                "{} entries written where {len} were announced",
                self.count
            ))),
            None => {
                let mut head = Vec::with_capacity(5);
                W::head(&mut head, self.count, self.map);
                self.writer.out().splice(self.start..self.start, head);
                Ok(())
            }
        }
    }
}

impl<W> ser::SerializeSeq for Compound<'_, W>
where
    W: BinaryWriter,
    for<'b> &'b mut W: ser::Serializer<Ok = (), Error = CodecError>,
{
    type Ok = ();
    type Error = CodecError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.count += 1;
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl<W> ser::SerializeTuple for Compound<'_, W>
where
    W: BinaryWriter,
    for<'b> &'b mut W: ser::Serializer<Ok = (), Error = CodecError>,
{
    type Ok = ();
    type Error = CodecError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl<W> ser::SerializeTupleStruct for Compound<'_, W>
where
    W: BinaryWriter,
    for<'b> &'b mut W: ser::Serializer<Ok = (), Error = CodecError>,
{
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl<W> ser::SerializeTupleVariant for Compound<'_, W>
where
    W: BinaryWriter,
    for<'b> &'b mut W: ser::Serializer<Ok = (), Error = CodecError>,
{
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl<W> ser::SerializeMap for Compound<'_, W>
where
    W: BinaryWriter,
    for<'b> &'b mut W: ser::Serializer<Ok = (), Error = CodecError>,
{
    type Ok = ();
    type Error = CodecError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CodecError> {
        self.count += 1;
        key.serialize(&mut *self.writer)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl<W> ser::SerializeStruct for Compound<'_, W>
where
    W: BinaryWriter,
    for<'b> &'b mut W: ser::Serializer<Ok = (), Error = CodecError>,
{
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.count += 1;
        self.writer.key(key);
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl<W> ser::SerializeStructVariant for Compound<'_, W>
where
    W: BinaryWriter,
    for<'b> &'b mut W: ser::Serializer<Ok = (), Error = CodecError>,
{
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}
