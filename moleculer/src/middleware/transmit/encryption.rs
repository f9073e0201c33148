//! `Transmit.Encryption` (Node's `src/middlewares/transmit/encryption.js`): every packet
//! encrypted whole with AES in CBC mode (PKCS#7 padding), one key and one IV for all of
//! them, as Node's `crypto.createCipheriv(algorithm, password, iv)` does. There is no
//! message authentication, in Node as here: it hides packets, it does not prove who sent
//! them.

use std::sync::Arc;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use bytes::Bytes;
use md5::{Digest, Md5};

use super::dropped;
use crate::middleware::{Middleware, ReceiveHandler, ReceivedMessage, SendHandler, WireMessage};
use crate::{Error, Result};

/// The AES key sizes Node's `aes-*-cbc` algorithms take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aes {
    Aes128,
    Aes192,
    Aes256,
}

impl Aes {
    fn from_name(algorithm: &str) -> Result<Aes> {
        match algorithm.to_ascii_lowercase().as_str() {
            "aes-128-cbc" => Ok(Aes::Aes128),
            "aes-192-cbc" => Ok(Aes::Aes192),
            "aes-256-cbc" => Ok(Aes::Aes256),
            other => Err(Error::broker_options(
                format!(
                    "the encryption algorithm `{other}` is not supported (aes-128-cbc, aes-192-cbc, aes-256-cbc)"
                ),
                None,
            )),
        }
    }

    fn key_len(self) -> usize {
        match self {
            Aes::Aes128 => 16,
            Aes::Aes192 => 24,
            Aes::Aes256 => 32,
        }
    }
}

/// The encryption middleware.
#[derive(Clone)]
pub struct Encryption {
    aes: Aes,
    key: Arc<[u8]>,
    iv: [u8; 16],
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryption")
            .field("algorithm", &self.aes)
            .finish_non_exhaustive()
    }
}

impl Encryption {
    /// Node's `Encryption(password, algorithm, iv)`: `algorithm` one of `aes-128-cbc`,
    /// `aes-192-cbc`, `aes-256-cbc` (Node's default), `key` its 16, 24 or 32 bytes (Node's
    /// `password`, used as the key), `iv` 16 bytes.
    ///
    /// # Errors
    /// `BrokerOptionsError` for another algorithm, or a key or IV of the wrong length.
    pub fn new(algorithm: &str, key: &[u8], iv: &[u8]) -> Result<Encryption> {
        let aes = Aes::from_name(algorithm)?;
        if key.len() != aes.key_len() {
            return Err(Error::broker_options(
                format!(
                    "{algorithm} needs a key of {} bytes, not {}",
                    aes.key_len(),
                    key.len()
                ),
                None,
            ));
        }
        let iv: [u8; 16] = iv.try_into().map_err(|_| {
            Error::broker_options(
                format!("{algorithm} needs an IV of 16 bytes, not {}", iv.len()),
                None,
            )
        })?;
        Ok(Encryption {
            aes,
            key: key.into(),
            iv,
        })
    }

    /// Moleculer 0.14's `Encryption(password, algorithm)` without an IV, which used
    /// `crypto.createCipher`: the key and IV derived from `password` by OpenSSL's
    /// `EVP_BytesToKey` (MD5, one round, no salt). Moleculer 0.15 needs an IV.
    ///
    /// # Errors
    /// `BrokerOptionsError` for an algorithm other than AES-CBC, or an empty password.
    pub fn from_password(algorithm: &str, password: &[u8]) -> Result<Encryption> {
        let aes = Aes::from_name(algorithm)?;
        if password.is_empty() {
            return Err(Error::broker_options("encryption needs a password", None));
        }
        let mut material = Vec::with_capacity(64);
        let mut block: Vec<u8> = Vec::new();
        while material.len() < aes.key_len() + 16 {
            let mut md5 = Md5::new();
            md5.update(&block);
            md5.update(password);
            block = md5.finalize().to_vec();
            material.extend_from_slice(&block);
        }
        let (key, rest) = material.split_at(aes.key_len());
        Encryption::new(algorithm, key, &rest[..16])
    }

    fn encrypt(&self, data: &[u8]) -> Vec<u8> {
        let (key, iv) = (&*self.key, (&self.iv).into());
        match self.aes {
            Aes::Aes128 => cbc::Encryptor::<aes::Aes128>::new(key.into(), iv)
                .encrypt_padded_vec_mut::<Pkcs7>(data),
            Aes::Aes192 => cbc::Encryptor::<aes::Aes192>::new(key.into(), iv)
                .encrypt_padded_vec_mut::<Pkcs7>(data),
            Aes::Aes256 => cbc::Encryptor::<aes::Aes256>::new(key.into(), iv)
                .encrypt_padded_vec_mut::<Pkcs7>(data),
        }
    }

    fn decrypt(&self, data: &[u8]) -> std::result::Result<Vec<u8>, &'static str> {
        let (key, iv) = (&*self.key, (&self.iv).into());
        let plain = match self.aes {
            Aes::Aes128 => cbc::Decryptor::<aes::Aes128>::new(key.into(), iv)
                .decrypt_padded_vec_mut::<Pkcs7>(data),
            Aes::Aes192 => cbc::Decryptor::<aes::Aes192>::new(key.into(), iv)
                .decrypt_padded_vec_mut::<Pkcs7>(data),
            Aes::Aes256 => cbc::Decryptor::<aes::Aes256>::new(key.into(), iv)
                .decrypt_padded_vec_mut::<Pkcs7>(data),
        };
        plain.map_err(|_| "bad decrypt (another key, or not encrypted)")
    }
}

impl Middleware for Encryption {
    fn name(&self) -> &str {
        "Encryption"
    }

    fn transporter_send(&self, next: &SendHandler) -> Option<SendHandler> {
        let (this, next) = (self.clone(), next.clone());
        Some(Arc::new(move |mut msg: WireMessage| {
            msg.data = Bytes::from(this.encrypt(&msg.data));
            next(msg)
        }))
    }

    fn transporter_receive(&self, next: &ReceiveHandler) -> Option<ReceiveHandler> {
        let (this, next) = (self.clone(), next.clone());
        Some(Arc::new(move |mut msg: ReceivedMessage| {
            match this.decrypt(&msg.data) {
                Ok(plain) => {
                    msg.data = Bytes::from(plain);
                    next(msg);
                }
                Err(why) => dropped("Encryption", msg.packet_type, &why),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The bytes Node's `crypto` gives for the same key, IV and text.
    #[test]
    fn ciphertexts_are_nodes() {
        let e = Encryption::new("aes-256-cbc", &[b'a'; 32], &[b'b'; 16]).unwrap();
        assert_eq!(hex(&e.encrypt(b"hi")), "a3ff3b88c2195451aab8019b3cfdb041");
        assert_eq!(e.decrypt(&e.encrypt(b"{\"x\":1}")).unwrap(), b"{\"x\":1}");
    }

    #[test]
    fn wrong_keys_algorithms_and_bytes_are_refused() {
        assert!(Encryption::new("aes-256-cbc", &[0; 16], &[0; 16]).is_err());
        assert!(Encryption::new("aes-256-cbc", &[0; 32], &[0; 8]).is_err());
        assert!(Encryption::new("des-ede3-cbc", &[0; 24], &[0; 16]).is_err());
        let a = Encryption::new("aes-128-cbc", &[1; 16], &[2; 16]).unwrap();
        let b = Encryption::new("aes-128-cbc", &[3; 16], &[2; 16]).unwrap();
        assert!(b.decrypt(&a.encrypt(b"secret packet")).is_err());
        assert!(a.decrypt(b"not a multiple of 16").is_err());
    }
}
