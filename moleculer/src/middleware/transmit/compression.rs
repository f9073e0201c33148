//! `Transmit.Compression` (Node's `src/middlewares/transmit/compression.js`): a one-byte
//! flag in front of every packet, `0x00` when it is sent as it is (smaller than the
//! threshold), `0x01` when it is compressed.

use std::io::{Read, Write};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use flate2::Compression as Level;
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};

use super::dropped;
use crate::middleware::{Middleware, ReceiveHandler, ReceivedMessage, SendHandler, WireMessage};
use crate::{Error, Result};

/// The largest packet a compressed message may inflate to; a larger one is dropped (a
/// small message that inflates to gigabytes would otherwise take the node's memory; Node
/// has no limit).
pub const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// How packets are compressed (Node's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressionMethod {
    /// `deflate`: zlib format (the default).
    Deflate,
    /// `deflateRaw`: raw deflate.
    DeflateRaw,
    /// `gzip`.
    Gzip,
}

impl CompressionMethod {
    /// Node's name of the method.
    pub fn name(self) -> &'static str {
        match self {
            CompressionMethod::Deflate => "deflate",
            CompressionMethod::DeflateRaw => "deflateRaw",
            CompressionMethod::Gzip => "gzip",
        }
    }

    /// The method Node names `name`.
    ///
    /// # Errors
    /// `BrokerOptionsError` for another name.
    pub fn from_name(name: &str) -> Result<CompressionMethod> {
        match name {
            "deflate" => Ok(CompressionMethod::Deflate),
            "deflateRaw" => Ok(CompressionMethod::DeflateRaw),
            "gzip" => Ok(CompressionMethod::Gzip),
            other => Err(Error::broker_options(
                format!("unknown compression method `{other}` (deflate, deflateRaw, gzip)"),
                None,
            )),
        }
    }
}

/// The compression middleware.
#[derive(Debug, Clone)]
pub struct Compression {
    method: CompressionMethod,
    threshold: Option<usize>,
}

impl Compression {
    /// Compression by `method` of every packet of 1 KiB or more (Node's default threshold).
    pub fn new(method: CompressionMethod) -> Compression {
        Compression {
            method,
            threshold: Some(1024),
        }
    }

    /// Packets smaller than `threshold` bytes go uncompressed (flag `0x00`); `None`
    /// compresses every packet.
    pub fn with_threshold(mut self, threshold: Option<usize>) -> Compression {
        self.threshold = threshold;
        self
    }

    /// Reads Node's threshold: a number of bytes or a string such as `"1kb"`, `"0.5 MB"`,
    /// `"512"` (Node's `parseByteString`).
    ///
    /// # Errors
    /// `BrokerOptionsError` for anything else.
    pub fn parse_threshold(text: &str) -> Result<usize> {
        let text = text.trim();
        let split = text
            .find(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" => 1024.0,
            "mb" => 1024.0 * 1024.0,
            "gb" => 1024.0 * 1024.0 * 1024.0,
            _ => f64::NAN,
        };
        match number.parse::<f64>() {
            Ok(n) if n >= 0.0 && factor.is_finite() => Ok((n * factor).floor() as usize),
            _ => Err(Error::broker_options(
                format!("compression threshold `{text}` is not a size (such as \"1kb\")"),
                None,
            )),
        }
    }

    fn compress(&self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() / 2 + 16);
        out.push(0x01);
        let level = Level::default();
        match self.method {
            CompressionMethod::Deflate => {
                let mut e = ZlibEncoder::new(out, level);
                e.write_all(data)?;
                e.finish()
            }
            CompressionMethod::DeflateRaw => {
                let mut e = DeflateEncoder::new(out, level);
                e.write_all(data)?;
                e.finish()
            }
            CompressionMethod::Gzip => {
                let mut e = GzEncoder::new(out, level);
                e.write_all(data)?;
                e.finish()
            }
        }
    }

    fn decompress(&self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() * 3);
        let limit = MAX_INFLATED + 1;
        let read = match self.method {
            CompressionMethod::Deflate => ZlibDecoder::new(data).take(limit).read_to_end(&mut out),
            CompressionMethod::DeflateRaw => {
                DeflateDecoder::new(data).take(limit).read_to_end(&mut out)
            }
            CompressionMethod::Gzip => GzDecoder::new(data).take(limit).read_to_end(&mut out),
        }?;
        if read as u64 > MAX_INFLATED {
            return Err(std::io::Error::other(format!(
                "inflates to more than {MAX_INFLATED} bytes"
            )));
        }
        Ok(out)
    }

    /// The bytes a node sends for `data`.
    fn seal(&self, data: &[u8]) -> std::io::Result<Bytes> {
        if self.threshold.is_some_and(|t| data.len() < t) {
            let mut out = BytesMut::with_capacity(data.len() + 1);
            out.put_u8(0x00);
            out.put_slice(data);
            return Ok(out.freeze());
        }
        self.compress(data).map(Bytes::from)
    }

    /// The packet in bytes a node received.
    fn open(&self, data: &Bytes) -> std::io::Result<Bytes> {
        match data.first() {
            Some(0x00) => Ok(data.slice(1..)),
            Some(_) => self.decompress(&data[1..]).map(Bytes::from),
            None => Err(std::io::Error::other("an empty message")),
        }
    }
}

impl Middleware for Compression {
    fn name(&self) -> &str {
        "Compression"
    }

    fn transporter_send(&self, next: &SendHandler) -> Option<SendHandler> {
        let (this, next) = (self.clone(), next.clone());
        Some(Arc::new(move |mut msg: WireMessage| {
            match this.seal(&msg.data) {
                Ok(sealed) => {
                    msg.data = sealed;
                    next(msg)
                }
                Err(err) => Box::pin(std::future::ready(Err(Error::server(format!(
                    "the {} packet does not compress: {err}",
                    msg.packet_type
                ))))),
            }
        }))
    }

    fn transporter_receive(&self, next: &ReceiveHandler) -> Option<ReceiveHandler> {
        let (this, next) = (self.clone(), next.clone());
        Some(Arc::new(move |mut msg: ReceivedMessage| {
            match this.open(&msg.data) {
                Ok(opened) => {
                    msg.data = opened;
                    next(msg);
                }
                Err(err) => dropped("Compression", msg.packet_type, &err),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_round_trips_and_small_packets_are_flagged() {
        let big = vec![b'a'; 5000];
        for method in [
            CompressionMethod::Deflate,
            CompressionMethod::DeflateRaw,
            CompressionMethod::Gzip,
        ] {
            let c = Compression::new(method);
            let sealed = c.seal(&big).unwrap();
            assert_eq!(sealed[0], 0x01);
            assert!(sealed.len() < 200, "{method:?}: {}", sealed.len());
            assert_eq!(c.open(&sealed).unwrap(), big);
            let small = c.seal(b"{}").unwrap();
            assert_eq!(&small[..], b"\x00{}");
            assert_eq!(&c.open(&small).unwrap()[..], b"{}");
        }
        let always = Compression::new(CompressionMethod::Deflate).with_threshold(None);
        assert_eq!(always.seal(b"{}").unwrap()[0], 0x01);
    }

    #[test]
    fn thresholds_read_as_node_reads_them() {
        for (text, bytes) in [
            ("1kb", 1024),
            ("0.5 MB", 524_288),
            ("512", 512),
            ("2KB", 2048),
        ] {
            assert_eq!(Compression::parse_threshold(text).unwrap(), bytes, "{text}");
        }
        assert!(Compression::parse_threshold("lots").is_err());
    }

    #[test]
    fn bad_and_huge_inputs_are_refused() {
        let c = Compression::new(CompressionMethod::Gzip);
        assert!(c.open(&Bytes::from_static(b"\x01not gzip")).is_err());
        assert!(c.open(&Bytes::new()).is_err());
        // 300 MiB of zeros compress to about 300 KiB: refused past MAX_INFLATED.
        let mut e = GzEncoder::new(vec![0x01], Level::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..300 {
            e.write_all(&zeros).unwrap();
        }
        let bomb = Bytes::from(e.finish().unwrap());
        assert!(bomb.len() < 1 << 20);
        assert!(c.open(&bomb).is_err());
    }
}
