//! The `tls` option shared by the transporters: certificates and keys as PEM files, with
//! nats.js' names (`caFile`, `certFile`, `keyFile`). PEM contents in the options (`ca`,
//! `cert`, `key`) and `rejectUnauthorized: false` are refused with what to do instead.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::invalid_option as invalid;
use crate::error::Result;

/// The files a `tls` object names; `certFile` and `keyFile` come together.
#[derive(Debug, Default)]
pub(crate) struct TlsFiles {
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) cert_file: Option<PathBuf>,
    pub(crate) key_file: Option<PathBuf>,
}

/// The keys every `tls` object may hold.
const FILES: [&str; 3] = ["caFile", "certFile", "keyFile"];

/// Reads a `tls` object; `extra` are the transporter's own keys besides the files (read by
/// the caller).
pub(crate) fn read(map: &Map<String, Value>, extra: &[&str]) -> Result<TlsFiles> {
    let refused = [
        ("ca", "give the file: `caFile`"),
        ("cert", "give the file: `certFile`"),
        ("key", "give the file: `keyFile`"),
    ];
    for (key, why) in refused {
        if map.get(key).is_some_and(|v| !v.is_null()) {
            return Err(invalid(&format!("tls.{key}"), why));
        }
    }
    if map.get("rejectUnauthorized") == Some(&Value::Bool(false)) {
        return Err(invalid(
            "tls.rejectUnauthorized",
            "true: certificates are always checked (give their CA in `caFile`)",
        ));
    }
    let known = |key: &str| {
        FILES.contains(&key)
            || extra.contains(&key)
            || ["rejectUnauthorized", "ca", "cert", "key"].contains(&key)
    };
    if let Some(key) = map.keys().find(|key| !known(key)) {
        let expected = format!("one of {}", [&FILES[..], extra].concat().join(", "));
        return Err(invalid(&format!("tls.{key}"), &expected));
    }
    let file = |key: &str| -> Result<Option<PathBuf>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(path)) => Ok(Some(PathBuf::from(path))),
            Some(_) => Err(invalid(&format!("tls.{key}"), "a file path")),
        }
    };
    let files = TlsFiles {
        ca_file: file("caFile")?,
        cert_file: file("certFile")?,
        key_file: file("keyFile")?,
    };
    if files.cert_file.is_some() != files.key_file.is_some() {
        return Err(invalid("tls", "certFile and keyFile together"));
    }
    Ok(files)
}
