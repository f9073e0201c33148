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

/// The error for the file of `tls.<key>` that cannot be read or used.
pub(crate) fn file_error(key: &str, path: &std::path::Path, why: String) -> crate::Error {
    crate::Error::broker_options(
        format!("transporter.options.tls.{key} `{}`: {why}", path.display()),
        Some(serde_json::json!({ "option": format!("transporter.options.tls.{key}") })),
    )
}

/// The certificates of the PEM file of `tls.<key>`; a file without any is an error.
pub(crate) fn certificates(
    key: &str,
    path: &std::path::Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|err| file_error(key, path, err.to_string()))?;
    if certs.is_empty() {
        return Err(file_error(key, path, "no certificate in it".to_owned()));
    }
    Ok(certs)
}

/// A TLS client's settings from the files of a `tls` object: the server's certificate checked
/// against `ca_file` (else the system's roots), and a client certificate when `cert_and_key`
/// are given. A file that cannot be read or used is an error naming its key.
#[cfg(feature = "mqtt-tls")]
pub(crate) fn client_config(
    ca_file: Option<&std::path::Path>,
    cert_and_key: Option<(&std::path::Path, &std::path::Path)>,
) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for ca in certificates("caFile", path)? {
                roots
                    .add(ca)
                    .map_err(|err| file_error("caFile", path, err.to_string()))?;
            }
        }
        None => {
            let system = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(system.certs);
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| invalid("tls", &format!("usable ({err})")))?
        .with_root_certificates(roots);
    match cert_and_key {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain = certificates("certFile", cert)?;
            let key_der = PrivateKeyDer::from_pem_file(key)
                .map_err(|err| file_error("keyFile", key, err.to_string()))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|err| file_error("certFile", cert, format!("cannot be used: {err}")))
        }
    }
}
