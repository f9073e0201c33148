//! TLS between the nodes ([`TcpTls`], a Rust option), on rustls: TLS 1.3, and both ends
//! show a certificate the cluster's CA signed.
//!
//! An outgoing connection does its handshake with tokio-rustls, then keeps the socket and the
//! rustls session apart: its task seals the queued frames into records with a [`Sealer`] and
//! writes them like plain frames. An incoming connection is read through tokio-rustls' stream.
//! The listening side sends no session tickets: nothing travels back on a connection after
//! its handshake, as on a plain one.

use std::io::{self, Write};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector, server};

use super::TcpTls;
use crate::error::Result;

/// The TLS side of a TCP transporter: its certificate, and the CA it checks peers against.
#[derive(Clone)]
pub(crate) struct Tls {
    connector: TlsConnector,
    acceptor: TlsAcceptor,
    /// The name checked in the certificates of the nodes connected to (`serverName`).
    server_name: Option<ServerName<'static>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads the PEM files of `options`; a file that cannot be read or used is an error
    /// naming it.
    pub(crate) fn load(options: &TcpTls) -> Result<Tls> {
        use crate::transporter::tls_files::{certificates, file_error};

        let mut roots = RootCertStore::empty();
        for ca in certificates("caFile", &options.ca_file)? {
            roots
                .add(ca)
                .map_err(|err| file_error("caFile", &options.ca_file, err.to_string()))?;
        }
        let roots = Arc::new(roots);
        let chain = certificates("certFile", &options.cert_file)?;
        let key = PrivateKeyDer::from_pem_file(&options.key_file)
            .map_err(|err| file_error("keyFile", &options.key_file, err.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let unusable = |err: rustls::Error| {
            file_error(
                "certFile",
                &options.cert_file,
                format!("cannot be used: {err}"),
            )
        };
        let client = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(unusable)?
            .with_root_certificates(roots.clone())
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(unusable)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|err| file_error("caFile", &options.ca_file, err.to_string()))?;
        let mut server = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(unusable)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(unusable)?;
        server.send_tls13_tickets = 0;
        let server_name = match &options.server_name {
            None => None,
            Some(name) => Some(ServerName::try_from(name.clone()).map_err(|_| {
                crate::transporter::invalid_option("tls.serverName", "a host name or an address")
            })?),
        };
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(client)),
            acceptor: TlsAcceptor::from(Arc::new(server)),
            server_name,
        })
    }

    /// The handshake of an outgoing connection to `host`: the socket back, and the session
    /// that seals what is written on it.
    pub(crate) async fn connect(
        &self,
        host: &str,
        stream: TcpStream,
    ) -> io::Result<(TcpStream, Sealer)> {
        let name = match &self.server_name {
            Some(name) => name.clone(),
            None => ServerName::try_from(host.to_owned())
                .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))?,
        };
        let (stream, session) = self.connector.connect(name, stream).await?.into_inner();
        Ok((stream, Sealer(session)))
    }

    /// The handshake of an incoming connection.
    pub(crate) async fn accept(
        &self,
        stream: TcpStream,
    ) -> io::Result<server::TlsStream<TcpStream>> {
        self.acceptor.accept(stream).await
    }
}

/// The session of an outgoing connection after its handshake.
#[derive(Debug)]
pub(crate) struct Sealer(ClientConnection);

impl Sealer {
    /// Seals `plain` into TLS records, in `out` (cleared first).
    pub(crate) fn seal(&mut self, plain: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        let mut rest = plain;
        while !rest.is_empty() {
            // rustls takes as much as its buffer holds; draining it makes room for the rest.
            let taken = self.0.writer().write(rest)?;
            rest = &rest[taken..];
            self.drain(out)?;
            if taken == 0 && !rest.is_empty() {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    /// Takes in what the peer sent after the handshake (only an alert can come): an error
    /// says why it ended the connection.
    pub(crate) fn receive(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            self.0.read_tls(&mut bytes)?;
            self.0
                .process_new_packets()
                .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        }
        Ok(())
    }

    /// The records that end the session cleanly (`close_notify`), in `out`.
    pub(crate) fn close(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        self.0.send_close_notify();
        self.drain(out)
    }

    fn drain(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        while self.0.wants_write() {
            self.0.write_tls(out)?;
        }
        Ok(())
    }
}
