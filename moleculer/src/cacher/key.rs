//! Cache keys exactly as Node's cachers make them (`defaultKeygen` in `src/cachers/base.js`,
//! reference §10.3), so that Rust and Node nodes sharing a Redis cache find each other's
//! entries. Moleculer 0.14 and 0.15 write them differently (0.15 quotes strings and prints
//! `undefined`, and reads `@` keys from the headers): the dialect follows the protocol
//! version, as a node speaking protocol 4 shares a cluster with 0.14 nodes.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::js::{Root, lodash_get, number_to_string, utf16_len};
use crate::options::ProtocolVersion;

/// Makes cache keys: Node's `defaultKeygen` for one protocol version, with its
/// `maxParamsLength`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyGen {
    dialect: ProtocolVersion,
    max_params_length: Option<usize>,
}

/// What a key is made of: the context's params, meta and headers (`None` where Node's would
/// be `undefined`).
#[derive(Debug, Clone, Copy, Default)]
pub struct KeySource<'a> {
    /// `ctx.params`.
    pub params: Option<&'a Value>,
    /// `ctx.meta`.
    pub meta: Option<&'a Map<String, Value>>,
    /// `ctx.headers` (read by 0.15's `@` keys only).
    pub headers: Option<&'a Map<String, Value>>,
}

/// What a key function of one's own is given (Node's `keygen(actionName, params, meta, keys)`).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct KeyRequest<'a> {
    /// The action's full name.
    pub action: &'a str,
    /// The call's params, meta and headers.
    pub source: KeySource<'a>,
    /// The action's `keys`.
    pub keys: Option<&'a [String]>,
    /// Node's keys, for a function that builds on them.
    pub default: &'a KeyGen,
}

impl KeyRequest<'_> {
    /// The key Node's `defaultKeygen` makes for this call.
    pub fn default_key(&self) -> String {
        self.default.key(self.action, self.source, self.keys)
    }
}

/// A key function of one's own (Node's `keygen`), for the broker
/// ([`BrokerBuilder::cache_keygen`](crate::BrokerBuilder::cache_keygen)) or one action
/// (`ActionSpec::cache_keygen`).
#[derive(Clone)]
pub struct CacheKeygen(Arc<dyn Fn(&KeyRequest<'_>) -> String + Send + Sync>);

impl CacheKeygen {
    /// A key function.
    pub fn new(keygen: impl Fn(&KeyRequest<'_>) -> String + Send + Sync + 'static) -> Self {
        CacheKeygen(Arc::new(keygen))
    }

    /// The key of `request`.
    pub fn key(&self, request: &KeyRequest<'_>) -> String {
        (self.0)(request)
    }
}

impl std::fmt::Debug for CacheKeygen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKeygen")
    }
}

impl PartialEq for CacheKeygen {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A value as the keygen sees it: JavaScript's `undefined` (a missing path) or JSON data.
#[derive(Clone, Copy)]
enum Found<'a> {
    Undefined,
    Data(&'a Value),
}

impl KeyGen {
    /// The keys of nodes speaking `dialect` (protocol 4: Moleculer 0.14; 5: 0.15); a key
    /// longer than `max_params_length` (when it is 44 or more, as in Node) ends with the
    /// base64 SHA-256 of its whole text.
    pub fn new(dialect: ProtocolVersion, max_params_length: Option<usize>) -> KeyGen {
        KeyGen {
            dialect,
            max_params_length,
        }
    }

    /// The key of a call of `action` (`posts.find:limit|5|offset|20`): from the values at
    /// `keys` (`"id"` in the params, `"#tenant"` in the meta, `"@lang"` in the headers, lodash
    /// paths), or from all the params when `keys` is `None`.
    pub fn key(&self, action: &str, source: KeySource<'_>, keys: Option<&[String]>) -> String {
        let v15 = self.dialect == ProtocolVersion::V5;
        let any =
            source.params.is_some() || source.meta.is_some() || (v15 && source.headers.is_some());
        // An empty `keys` list falls through Node's branches to the bare name too.
        if !any || keys.is_some_and(<[String]>::is_empty) {
            return action.to_owned();
        }
        let mut key = String::with_capacity(action.len() + 32);
        key.push_str(action);
        key.push(':');
        // The body is written after the name, then hashed in place when it is too long.
        let start = key.len();
        match keys {
            None => self.write(found(source.params), &mut key),
            Some(keys) => {
                self.write_values(keys.len(), |i| self.lookup(&keys[i], source), &mut key)
            }
        }
        if self.too_long(&key[start..]) {
            let body = key.split_off(start);
            key.push_str(&self.hashed(body));
        }
        key
    }

    /// [`key`](Self::key) from the values already found at each of the action's `keys`
    /// (`None` where a value is missing).
    pub(crate) fn key_of_values(&self, action: &str, values: &[Option<Value>]) -> String {
        let mut key = String::with_capacity(action.len() + 32);
        key.push_str(action);
        key.push(':');
        if values.is_empty() {
            key.pop();
            return key;
        }
        let start = key.len();
        self.write_values(
            values.len(),
            |i| values[i].as_ref().map(Cow::Borrowed),
            &mut key,
        );
        if self.too_long(&key[start..]) {
            let body = key.split_off(start);
            key.push_str(&self.hashed(body));
        }
        key
    }

    /// The body of a key from `count` values, `value_at(i)` giving each: one value as it
    /// is (0.14: a scalar raw, an object's text hashed), several joined with `|` (objects and
    /// arrays each hashed).
    fn write_values<'v>(
        &self,
        count: usize,
        value_at: impl Fn(usize) -> Option<Cow<'v, Value>>,
        out: &mut String,
    ) {
        let v15 = self.dialect == ProtocolVersion::V5;
        for i in 0..count {
            if i > 0 {
                out.push('|');
            }
            let looked_up = value_at(i);
            let value = found(looked_up.as_deref());
            if count == 1 && v15 {
                self.write(value, out);
            } else if is_object(value) {
                out.push_str(&self.hashed(self.generate(value)));
            } else if v15 {
                self.write(value, out);
            } else {
                self.write_raw(value, out);
            }
        }
    }

    /// `_getParamMetaValue(key, params, meta, headers)`.
    /// `None` is `undefined`; a value is borrowed, or made (a string's `length`).
    fn lookup<'a>(&self, path: &str, source: KeySource<'a>) -> Option<Cow<'a, Value>> {
        if let (Some(path), Some(meta)) = (path.strip_prefix('#'), source.meta) {
            return lodash_get(Root::Map(meta), path);
        }
        if self.dialect == ProtocolVersion::V5
            && let (Some(path), Some(headers)) = (path.strip_prefix('@'), source.headers)
        {
            return lodash_get(Root::Map(headers), path);
        }
        lodash_get(Root::Value(source.params?), path)
    }

    /// `_generateKeyFromObject(value)`.
    fn generate(&self, value: Found<'_>) -> String {
        let mut out = String::new();
        self.write(value, &mut out);
        out
    }

    fn write(&self, value: Found<'_>, out: &mut String) {
        let v15 = self.dialect == ProtocolVersion::V5;
        match value {
            Found::Undefined => out.push_str(if v15 { "undefined" } else { "null" }),
            Found::Data(Value::Array(items)) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    self.write(Found::Data(item), out);
                }
                out.push(']');
            }
            Found::Data(Value::Object(fields)) => {
                for (i, (name, item)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    out.push_str(name);
                    out.push('|');
                    self.write(Found::Data(item), out);
                }
            }
            Found::Data(Value::String(s)) if v15 => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Found::Data(scalar) => push_scalar(scalar, out),
        }
    }

    /// 0.14's raw value in a key: `String(value)` of a scalar.
    fn write_raw(&self, value: Found<'_>, out: &mut String) {
        match value {
            Found::Undefined => out.push_str("undefined"),
            Found::Data(scalar) => push_scalar(scalar, out),
        }
    }

    /// Whether `key` is longer than `maxParamsLength` (when it is 44 or more).
    fn too_long(&self, key: &str) -> bool {
        self.max_params_length
            .is_some_and(|max| max >= 44 && utf16_len(key) > max)
    }

    /// `_hashedKey(key)`: the key, or when it is longer than `maxParamsLength` (44 or more)
    /// its first `maxParamsLength - 44` UTF-16 code units and the base64 SHA-256 of it all.
    fn hashed(&self, key: String) -> String {
        let Some(max) = self.max_params_length.filter(|max| *max >= 44) else {
            return key;
        };
        if utf16_len(&key) <= max {
            return key;
        }
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(key.as_bytes()));
        let keep = max - 44;
        if keep == 0 {
            return hash;
        }
        let units: Vec<u16> = key.encode_utf16().take(keep).collect();
        let mut out = String::from_utf16_lossy(&units);
        out.push_str(&hash);
        out
    }
}

fn found(value: Option<&Value>) -> Found<'_> {
    value.map_or(Found::Undefined, Found::Data)
}

/// `isObject(value) || Array.isArray(value)`: objects and arrays.
fn is_object(value: Found<'_>) -> bool {
    matches!(value, Found::Data(Value::Object(_) | Value::Array(_)))
}

/// Writes the decimal digits of `n`.
fn push_integer(n: i64, out: &mut String) {
    let mut digits = [0_u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

/// Writes `value.toString()` of a scalar (`null` prints `"null"`).
fn push_scalar(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // A whole number below 2^53 prints as its digits, as JavaScript prints it.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            let x = n.as_f64().unwrap_or(f64::NAN);
            if x.fract() == 0.0 && x.abs() < EXACT && x != 0.0 {
                push_integer(x as i64, out);
            } else {
                out.push_str(&number_to_string(x));
            }
        }
        Value::String(s) => out.push_str(s),
        other => out.push_str(&crate::js::value_to_string(other)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key(
        dialect: ProtocolVersion,
        max: Option<usize>,
        params: Value,
        meta: Value,
        keys: Option<&[&str]>,
    ) -> String {
        let keys: Option<Vec<String>> = keys.map(|k| k.iter().map(|s| (*s).to_owned()).collect());
        KeyGen::new(dialect, max).key(
            "posts.find",
            KeySource {
                params: Some(&params),
                meta: meta.as_object(),
                headers: None,
            },
            keys.as_deref(),
        )
    }

    /// The captured vectors of reference §10.3, both dialects (the `Date` one cannot come
    /// from JSON params).
    #[test]
    fn keys_are_nodes() {
        use ProtocolVersion::{V4, V5};
        let both = |params: Value, meta: Value, keys: Option<&[&str]>, v14: &str, v15: &str| {
            assert_eq!(key(V4, None, params.clone(), meta.clone(), keys), v14);
            assert_eq!(key(V5, None, params, meta, keys), v15);
        };
        both(
            json!({ "limit": 5, "offset": 20 }),
            json!({}),
            None,
            "posts.find:limit|5|offset|20",
            "posts.find:limit|5|offset|20",
        );
        both(
            json!({ "name": "John", "tags": ["a", "b"], "nested": { "x": null } }),
            json!({}),
            None,
            "posts.find:name|John|tags|[a|b]|nested|x|null",
            r#"posts.find:name|"John"|tags|["a"|"b"]|nested|x|null"#,
        );
        both(
            json!({ "id": 5 }),
            json!({}),
            Some(&["id"]),
            "posts.find:5",
            "posts.find:5",
        );
        both(
            json!({ "id": "5" }),
            json!({ "tenant": "t1" }),
            Some(&["id", "#tenant"]),
            "posts.find:5|t1",
            r#"posts.find:"5"|"t1""#,
        );
        both(
            json!({ "a": { "b": 1 } }),
            json!({}),
            Some(&["a"]),
            "posts.find:b|1",
            "posts.find:b|1",
        );
        both(json!({}), json!({}), None, "posts.find:", "posts.find:");
        both(
            json!({}),
            json!({}),
            Some(&["missing", "#none"]),
            "posts.find:undefined|undefined",
            "posts.find:undefined|undefined",
        );
    }

    #[test]
    fn long_keys_end_with_their_hash() {
        let text = "x".repeat(100);
        for (dialect, head) in [
            (ProtocolVersion::V4, "text|xxxxxxxxxxx"),
            (ProtocolVersion::V5, "text|\"xxxxxxxxxx"),
        ] {
            let long = key(
                dialect,
                Some(60),
                json!({ "text": text, "n": 1 }),
                json!({}),
                None,
            );
            let body = long.strip_prefix("posts.find:").unwrap();
            assert_eq!(body.len(), 60, "{long}");
            assert!(body.starts_with(head), "{long}");
        }
        // Exactly 44: the hash alone; under 44: no hashing at all.
        let only = key(
            ProtocolVersion::V5,
            Some(44),
            json!({ "text": text }),
            json!({}),
            None,
        );
        assert_eq!(only.len(), "posts.find:".len() + 44);
        let short = key(
            ProtocolVersion::V5,
            Some(43),
            json!({ "text": text }),
            json!({}),
            None,
        );
        assert!(short.ends_with(&format!("{text}\"")));
    }

    #[test]
    fn no_params_meta_or_headers_or_an_empty_key_list_is_the_action_name() {
        let keygen = KeyGen::new(ProtocolVersion::V5, None);
        assert_eq!(keygen.key("a.b", KeySource::default(), None), "a.b");
        let empty = key(
            ProtocolVersion::V4,
            None,
            json!({ "a": 1 }),
            json!({}),
            Some(&[]),
        );
        assert_eq!(empty, "posts.find");
    }
}
