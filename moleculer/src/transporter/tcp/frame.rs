//! TCP frames (Node's `tcp/tcp-writer.js` and `tcp/parser.js`): a 6-byte header, then the
//! serialized packet.
//!
//! ```text
//! byte 0   check: XOR of bytes 1..=5
//! 1..=4    the whole frame's length, header included, big-endian
//! 5        the packet type id (EVENT=1 … GOSSIP_HELLO=8)
//! ```

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};

use crate::protocol::PacketType;

/// The header's size.
pub(crate) const HEADER_SIZE: usize = 6;

/// The header of a frame carrying `body_len` bytes of a packet of type id `type_id`.
pub(crate) fn header(type_id: u8, body_len: usize) -> [u8; HEADER_SIZE] {
    let length = u32::try_from(body_len + HEADER_SIZE).unwrap_or(u32::MAX);
    let [l1, l2, l3, l4] = length.to_be_bytes();
    [l1 ^ l2 ^ l3 ^ l4 ^ type_id, l1, l2, l3, l4, type_id]
}

/// Why a peer's bytes are not frames; the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// The check byte does not match the header.
    Check,
    /// A declared length below the header's size.
    TooShort(i32),
    /// A frame larger than `maxPacketSize`.
    TooLarge { length: usize, max: usize },
    /// A type id that is not a TCP packet type.
    UnknownType(u8),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Check => f.write_str("invalid frame header (check byte mismatch)"),
            FrameError::TooShort(n) => write!(f, "invalid frame length {n}"),
            FrameError::TooLarge { length, max } => {
                write!(f, "frame of {length} bytes exceeds maxPacketSize ({max})")
            }
            FrameError::UnknownType(id) => write!(f, "unknown packet type id {id}"),
        }
    }
}

/// Takes the next whole frame off the front of `buf`: its packet type and body (sharing
/// `buf`'s memory); `Ok(None)` until the frame is complete.
pub(crate) fn next_frame(
    buf: &mut BytesMut,
    max: usize,
) -> Result<Option<(PacketType, Bytes)>, FrameError> {
    if buf.len() < HEADER_SIZE {
        return Ok(None);
    }
    let h = &buf[..HEADER_SIZE];
    if h[0] != h[1] ^ h[2] ^ h[3] ^ h[4] ^ h[5] {
        return Err(FrameError::Check);
    }
    let declared = i32::from_be_bytes([h[1], h[2], h[3], h[4]]);
    let length = usize::try_from(declared)
        .ok()
        .filter(|n| *n >= HEADER_SIZE)
        .ok_or(FrameError::TooShort(declared))?;
    if length > max {
        return Err(FrameError::TooLarge { length, max });
    }
    let ty = PacketType::from_tcp_id(h[5]).ok_or(FrameError::UnknownType(h[5]))?;
    if buf.len() < length {
        return Ok(None);
    }
    let mut frame = buf.split_to(length);
    frame.advance(HEADER_SIZE);
    Ok(Some((ty, frame.freeze())))
}

/// The whole length, header included, of the frame at the front of `buf` once its header is
/// in; read after [`next_frame`] has checked the header.
pub(crate) fn frame_length(buf: &[u8]) -> Option<usize> {
    let h = buf.get(..HEADER_SIZE)?;
    usize::try_from(u32::from_be_bytes([h[1], h[2], h[3], h[4]])).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(type_id: u8, body: &[u8]) -> Vec<u8> {
        let mut out = header(type_id, body.len()).to_vec();
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn header_matches_nodes() {
        // GOSSIP_HELLO with a 60-byte body and PING with a 94-byte body, as captured.
        assert_eq!(header(8, 60), [0x4a, 0, 0, 0, 0x42, 8]);
        assert_eq!(header(4, 94), [0x60, 0, 0, 0, 0x64, 4]);
    }

    #[test]
    fn frames_split_across_and_packed_into_reads() {
        let mut wire = frame(2, b"{\"a\":1}");
        wire.extend(frame(3, b"{}"));
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for byte in wire {
            buf.extend_from_slice(&[byte]);
            while let Some((ty, body)) = next_frame(&mut buf, 1024).unwrap() {
                got.push((ty, body));
            }
        }
        assert_eq!(
            got,
            [
                (PacketType::Request, Bytes::from_static(b"{\"a\":1}")),
                (PacketType::Response, Bytes::from_static(b"{}")),
            ]
        );
        assert!(buf.is_empty());
    }

    /// Node's captured frames (`shared/fixtures/packets-tcp`): the same headers, and a
    /// stream of them cuts back into the same bodies.
    #[test]
    fn captured_frames() {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/packets-tcp"
        );
        let mut checked = 0;
        for version in ["0.14.35", "0.15.2"] {
            let dir = std::path::Path::new(root).join(version);
            let mut stream = Vec::new();
            let mut bodies = Vec::new();
            for entry in std::fs::read_dir(&dir).expect("TCP fixtures") {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let Ok(frame) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue; // transcript.jsonl
                };
                let (Some(raw), Some(id)) = (frame["body_raw"].as_str(), frame["type_id"].as_u64())
                else {
                    continue;
                };
                let id = id as u8;
                let wire_header = frame["wire_header_hex"]
                    .as_str()
                    .or(frame["header_hex"].as_str())
                    .unwrap();
                let wire_length = frame["wire_length"]
                    .as_u64()
                    .or(frame["length"].as_u64())
                    .unwrap() as usize;
                let ours: String = header(id, wire_length - HEADER_SIZE)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(ours, wire_header, "{}", path.display());
                stream.extend_from_slice(&header(id, raw.len()));
                stream.extend_from_slice(raw.as_bytes());
                bodies.push((PacketType::from_tcp_id(id).unwrap(), raw.to_owned()));
                checked += 1;
            }
            // All frames in one read, then cut back.
            let mut buf = BytesMut::from(&stream[..]);
            for (ty, body) in bodies {
                let (got_ty, got) = next_frame(&mut buf, 1 << 20).unwrap().unwrap();
                assert_eq!((got_ty, &got[..]), (ty, body.as_bytes()));
            }
            assert!(buf.is_empty());
        }
        assert!(checked >= 24, "{checked} frames");
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut bad_check = BytesMut::from(&frame(1, b"x")[..]);
        bad_check[0] ^= 0xff;
        assert_eq!(next_frame(&mut bad_check, 99), Err(FrameError::Check));

        let mut short = BytesMut::from(&[0, 0, 0, 0, 0, 0][..]);
        assert_eq!(next_frame(&mut short, 99), Err(FrameError::TooShort(0)));

        let mut large = BytesMut::from(&frame(1, &[b'x'; 100])[..]);
        assert_eq!(
            next_frame(&mut large, 50),
            Err(FrameError::TooLarge {
                length: 106,
                max: 50
            })
        );

        let mut unknown = BytesMut::from(&frame(9, b"x")[..]);
        assert_eq!(
            next_frame(&mut unknown, 99),
            Err(FrameError::UnknownType(9))
        );

        let mut negative = BytesMut::from(&[0x80 ^ 1, 0x80, 0, 0, 0, 1][..]);
        assert!(matches!(
            next_frame(&mut negative, 99),
            Err(FrameError::TooShort(_))
        ));
    }
}
