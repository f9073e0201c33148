//! A TLS front for a plain server (as a load balancer that terminates TLS): clients speak TLS
//! to it, with a certificate a test's [`Pki`] issued, and it relays the bytes to the server.
//! For brokers the tests cannot restart with TLS of their own (RabbitMQ).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::pki::Pki;

/// A listening TLS front; stops when dropped.
#[derive(Debug)]
pub struct TlsProxy {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    task: JoinHandle<()>,
}

impl TlsProxy {
    /// Listens with `pki`'s `server` certificate and relays every connection to `target`
    /// (`host:port`).
    pub async fn start(pki: &Pki, target: &str) -> TlsProxy {
        let chain = CertificateDer::pem_file_iter(pki.path("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(pki.path("server-key.pem")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = target.to_owned();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (acceptor, target) = (acceptor.clone(), target.clone());
                tokio::spawn(async move {
                    let Ok(mut client) = acceptor.accept(socket).await else {
                        return;
                    };
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        TlsProxy { port, task }
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
