//! Software keys: a PKCS#8 private key held in memory (aws-lc-rs), and the PKCS#12 file
//! signer built on it.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use xmldsig::{SignatureAlgorithm, Signer, SignerError};

use crate::error::KeyError;

/// An in-memory private key. Private keys are only ever handled by aws-lc-rs.
#[derive(Debug)]
pub(crate) enum SoftwareKey {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
}

impl SoftwareKey {
    /// Reads a PKCS#8 (DER) RSA (≥ 2048 bits) or ECDSA P-256 private key.
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
            if rsa.public_modulus_len() < 256 {
                return Err(KeyError::UnsupportedKey(format!(
                    "RSA key of {} bits (at least 2048 needed)",
                    rsa.public_modulus_len() * 8
                )));
            }
            return Ok(Self::Rsa(rsa));
        }
        match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
            Ok(ec) => Ok(Self::Ecdsa(ec)),
            Err(_) => Err(KeyError::UnsupportedKey(
                "not an RSA or ECDSA P-256 PKCS#8 private key".to_owned(),
            )),
        }
    }

    pub(crate) fn algorithm(&self) -> SignatureAlgorithm {
        match self {
            Self::Rsa(_) => SignatureAlgorithm::RsaSha256,
            Self::Ecdsa(_) => SignatureAlgorithm::EcdsaP256Sha256,
        }
    }

    /// The public key as it appears in a certificate's subjectPublicKey BIT STRING.
    fn public_key_bits(&self) -> &[u8] {
        match self {
            Self::Rsa(k) => k.public_key().as_ref(),
            Self::Ecdsa(k) => k.public_key().as_ref(),
        }
    }

    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, data, &mut sig)
                    .map_err(|e| KeyError::Sign(e.to_string()))?;
                Ok(sig)
            }
            Self::Ecdsa(k) => k
                .sign(&rng, data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| KeyError::Sign(e.to_string())),
        }
    }

    /// Fails unless `cert_der` certifies this key's public key.
    pub(crate) fn check_matches(&self, cert_der: &[u8]) -> Result<(), KeyError> {
        let (_, cert) = X509Certificate::from_der(cert_der)
            .map_err(|e| KeyError::Certificate(e.to_string()))?;
        if cert.public_key().subject_public_key.data.as_ref() == self.public_key_bits() {
            Ok(())
        } else {
            Err(KeyError::KeyCertMismatch)
        }
    }
}

/// A signer whose key and certificate chain come from a PKCS#12 (`.p12` / `.pfx`) file.
///
/// Contract: [`certificate_chain`](Pkcs12Signer::certificate_chain) starts with the
/// certificate of the private key, followed by the issuers found in the file in path
/// order; self-signed roots are left out (a verifier must have them in its trust store,
/// never take them from the document).
#[derive(Debug)]
pub struct Pkcs12Signer {
    key: SoftwareKey,
    chain: Vec<Vec<u8>>,
}

impl Pkcs12Signer {
    /// Opens a PKCS#12 file's bytes with its password. The first private key that has a
    /// matching certificate is used.
    ///
    /// # Errors
    /// [`KeyError::WrongPassword`] when the integrity check fails; [`KeyError::NoKey`] when
    /// the file holds no key with its certificate; [`KeyError::UnsupportedKey`] for keys
    /// other than RSA ≥ 2048 / ECDSA P-256; [`KeyError::Pkcs12`] for damaged files.
    pub fn from_pkcs12(bytes: &[u8], password: &str) -> Result<Self, KeyError> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            bytes,
            password,
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) => KeyError::WrongPassword,
            other => KeyError::Pkcs12(other.to_string()),
        })?;
        let (_, key_chain) = store.private_key_chain().ok_or(KeyError::NoKey)?;
        let key = SoftwareKey::from_pkcs8(key_chain.key().as_der())?;
        let certs: Vec<Vec<u8>> = key_chain
            .certs()
            .iter()
            .map(|c| c.as_der().to_vec())
            .collect();
        // The leaf is the certificate of the key, wherever it sits in the file.
        let leaf_pos = certs
            .iter()
            .position(|c| key.check_matches(c).is_ok())
            .ok_or(KeyError::KeyCertMismatch)?;
        let mut rest = certs;
        let leaf = rest.remove(leaf_pos);
        let chain = order_chain(leaf, rest)?;
        Ok(Self { key, chain })
    }
}

impl Signer for Pkcs12Signer {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.key.algorithm()
    }

    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// RSA PKCS#1 v1.5 of SHA-256(data), or ECDSA P-256 r‖s of SHA-256(data).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        self.key.sign(data).map_err(SignerError::from)
    }
}

/// Orders `others` behind `leaf` by following issuer → subject links; self-signed
/// certificates and those not on the leaf's path are dropped.
pub(crate) fn order_chain(leaf: Vec<u8>, others: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, KeyError> {
    let names = |der: &[u8]| -> Result<(Vec<u8>, Vec<u8>), KeyError> {
        let (_, c) =
            X509Certificate::from_der(der).map_err(|e| KeyError::Certificate(e.to_string()))?;
        Ok((c.subject().as_raw().to_vec(), c.issuer().as_raw().to_vec()))
    };
    // (certificate, (subject, issuer)) of every candidate issuer.
    type Candidate = (Vec<u8>, (Vec<u8>, Vec<u8>));
    let mut pool: Vec<Candidate> = Vec::new();
    for der in others {
        let n = names(&der)?;
        if n.0 != n.1 {
            pool.push((der, n));
        }
    }
    let (_, mut want) = names(&leaf)?;
    let mut chain = vec![leaf];
    while let Some(pos) = pool.iter().position(|(_, (subject, _))| *subject == want) {
        let (der, (_, issuer)) = pool.remove(pos);
        want = issuer;
        chain.push(der);
    }
    Ok(chain)
}
