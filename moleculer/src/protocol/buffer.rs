//! Node's `Buffer` JSON form, `{"type":"Buffer","data":[104,105]}` (reference §1.8, §3).
//!
//! The JSON serializer writes binary stream chunks this way, and Node turns them back into
//! bytes **only** for stream chunks (`params` of a REQ, `data` of a RES, with `stream` set and
//! `seq > 0`). Anywhere else the object stays an ordinary object.

use serde_json::{Map, Value};

/// The Buffer JSON form of `bytes`: `{"type":"Buffer","data":[…]}`.
///
/// ```
/// # use moleculer::protocol::buffer_to_json;
/// assert_eq!(buffer_to_json(b"hi").to_string(), r#"{"type":"Buffer","data":[104,105]}"#);
/// ```
pub fn buffer_to_json(bytes: &[u8]) -> Value {
    let mut map = Map::with_capacity(2);
    map.insert("type".to_owned(), Value::from("Buffer"));
    map.insert(
        "data".to_owned(),
        Value::Array(bytes.iter().map(|&b| Value::from(b)).collect()),
    );
    Value::Object(map)
}

/// Whether `value` is a Buffer in JSON form, as Node tests a chunk (`chunk.type === "Buffer"`).
pub fn is_buffer_json(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("Buffer")
}

/// The bytes of a Buffer in JSON form; `None` when `value` is not one (no `type: "Buffer"`,
/// or `data` is not an array of integers 0–255).
///
/// ```
/// # use moleculer::protocol::buffer_from_json;
/// let chunk = serde_json::json!({"type": "Buffer", "data": [104, 105]});
/// assert_eq!(buffer_from_json(&chunk).as_deref(), Some(&b"hi"[..]));
/// ```
pub fn buffer_from_json(value: &Value) -> Option<Vec<u8>> {
    if !is_buffer_json(value) {
        return None;
    }
    value
        .get("data")?
        .as_array()?
        .iter()
        .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trip_and_key_order() {
        let bytes = [0u8, 1, 127, 128, 255];
        let value = buffer_to_json(&bytes);
        assert_eq!(
            serde_json::to_string(&value).ok().as_deref(),
            Some(r#"{"type":"Buffer","data":[0,1,127,128,255]}"#)
        );
        assert_eq!(buffer_from_json(&value).as_deref(), Some(&bytes[..]));
        assert_eq!(buffer_from_json(&buffer_to_json(&[])), Some(vec![]));
    }

    #[test]
    fn rejects_non_buffers() {
        assert!(buffer_from_json(&json!({"n": 1})).is_none());
        assert!(buffer_from_json(&json!("Buffer")).is_none());
        assert!(buffer_from_json(&json!({"type": "Buffer"})).is_none());
        assert!(buffer_from_json(&json!({"type": "Buffer", "data": [256]})).is_none());
        assert!(buffer_from_json(&json!({"type": "Buffer", "data": [-1]})).is_none());
        assert!(buffer_from_json(&json!({"type": "Buffer", "data": [1.5]})).is_none());
        assert!(buffer_from_json(&json!({"type": "Buffer", "data": "aGk="})).is_none());
        assert!(is_buffer_json(&json!({"type": "Buffer", "data": [256]})));
    }
}
