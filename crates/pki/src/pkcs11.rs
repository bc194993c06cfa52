//! PKCS#11 signer: a private key that never leaves a USB token or HSM.

use std::path::PathBuf;
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::error::KeyError;
use xmldsig::{SignatureAlgorithm, Signer, SignerError};

use crate::software::order_chain;

/// DER of the OID prime256v1 (P-256), as found in `CKA_EC_PARAMS`.
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Where the key is: module, token, PIN and key label.
#[derive(Clone)]
pub struct Pkcs11Config {
    /// Path of the vendor's PKCS#11 module (`.so` / `.dll`), e.g.
    /// `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// Label of the token to use; `None` takes the first slot that has a token.
    pub token_label: Option<String>,
    /// User PIN.
    pub pin: String,
    /// `CKA_LABEL` of the private key.
    pub key_label: String,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"…")
            .field("key_label", &self.key_label)
            .finish()
    }
}

/// A signer whose RSA or ECDSA P-256 private key lives on a PKCS#11 token.
///
/// RSA signs with `CKM_SHA256_RSA_PKCS` (the token hashes); ECDSA hashes with SHA-256
/// here and signs the digest with `CKM_ECDSA`, whose output is already the fixed-width
/// r‖s that XMLDSig wants. The session is logged in once at [`open`](Pkcs11Signer::open)
/// and shared behind a mutex, so signing from several threads is serialised.
pub struct Pkcs11Signer {
    // Keeps the module loaded for the lifetime of the session.
    _context: Pkcs11,
    session: Mutex<Session>,
    key: ObjectHandle,
    algorithm: SignatureAlgorithm,
    chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("algorithm", &self.algorithm)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Pkcs11Signer {
    /// Loads the module, finds the token, logs in with the PIN and finds the private key
    /// by label. PKCS#11 login state is per process: while another session on the same
    /// token is open and logged in, the token reports "already logged in" and the PIN is
    /// not checked again. `chain` is the signer certificate followed by intermediates (DER); when
    /// empty, the certificate object with the key's `CKA_ID` is read from the token.
    ///
    /// # Errors
    /// [`KeyError::Pkcs11`] for module, token, login or lookup failures (including "no
    /// such key" and "several keys with that label"); [`KeyError::UnsupportedKey`] for
    /// keys other than RSA ≥ 2048 / EC P-256; [`KeyError::KeyCertMismatch`] if the
    /// certificate is not the key's.
    pub fn open(config: &Pkcs11Config, chain: Vec<Vec<u8>>) -> Result<Self, KeyError> {
        let context = Pkcs11::new(&config.module)
            .map_err(|e| ck(format!("loading {}", config.module.display()), e))?;
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(ck("C_Initialize", e)),
        }
        let slots = context
            .get_slots_with_token()
            .map_err(|e| ck("listing slots", e))?;
        let mut chosen = None;
        for slot in slots {
            let info = context
                .get_token_info(slot)
                .map_err(|e| ck("reading token info", e))?;
            let wanted = match &config.token_label {
                Some(label) => info.label().trim_end() == label.as_str(),
                None => true,
            };
            if wanted {
                chosen = Some(slot);
                break;
            }
        }
        let slot = chosen.ok_or_else(|| {
            KeyError::Pkcs11(match &config.token_label {
                Some(label) => format!("no token labelled {label:?}"),
                None => "no token present".to_owned(),
            })
        })?;
        let session = context
            .open_ro_session(slot)
            .map_err(|e| ck("opening session", e))?;
        match session.login(
            UserType::User,
            Some(&AuthPin::new(config.pin.clone().into())),
        ) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck("login", e)),
        }

        let keys = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(config.key_label.as_bytes().to_vec()),
            ])
            .map_err(|e| ck("finding the key", e))?;
        let key = match keys.as_slice() {
            [key] => *key,
            [] => {
                return Err(KeyError::Pkcs11(format!(
                    "no private key labelled {:?}",
                    config.key_label
                )));
            }
            _ => {
                return Err(KeyError::Pkcs11(format!(
                    "several private keys labelled {:?}",
                    config.key_label
                )));
            }
        };
        let attrs = session
            .get_attributes(
                key,
                &[
                    AttributeType::KeyType,
                    AttributeType::Id,
                    AttributeType::EcParams,
                    AttributeType::Modulus,
                ],
            )
            .map_err(|e| ck("reading key attributes", e))?;
        let mut key_type = None;
        let mut id = None;
        let mut ec_params = None;
        let mut modulus = None;
        for attr in attrs {
            match attr {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::Id(v) => id = Some(v),
                Attribute::EcParams(v) => ec_params = Some(v),
                Attribute::Modulus(v) => modulus = Some(v),
                _ => {}
            }
        }
        let algorithm = match key_type {
            Some(KeyType::RSA) => SignatureAlgorithm::RsaSha256,
            Some(KeyType::EC) => match ec_params.as_deref() {
                Some(P256_PARAMS) | None => SignatureAlgorithm::EcdsaP256Sha256,
                Some(_) => {
                    return Err(KeyError::UnsupportedKey(
                        "EC key on a curve other than P-256".to_owned(),
                    ));
                }
            },
            other => {
                return Err(KeyError::UnsupportedKey(format!(
                    "token key type {other:?}"
                )));
            }
        };

        let chain = if chain.is_empty() {
            let id = id.ok_or_else(|| {
                KeyError::Pkcs11("the key has no CKA_ID to find its certificate".to_owned())
            })?;
            let certs = session
                .find_objects(&[
                    Attribute::Class(ObjectClass::CERTIFICATE),
                    Attribute::Id(id),
                ])
                .map_err(|e| ck("finding the certificate", e))?;
            let cert = certs.first().copied().ok_or(KeyError::NoKey)?;
            let value = session
                .get_attributes(cert, &[AttributeType::Value])
                .map_err(|e| ck("reading the certificate", e))?;
            let der = value
                .into_iter()
                .find_map(|a| match a {
                    Attribute::Value(v) => Some(v),
                    _ => None,
                })
                .ok_or(KeyError::NoKey)?;
            vec![der]
        } else {
            let mut chain = chain;
            let leaf = chain.remove(0);
            order_chain(leaf, chain)?
        };
        check_leaf(&chain[0], algorithm, modulus.as_deref())?;

        Ok(Self {
            _context: context,
            session: Mutex::new(session),
            key,
            algorithm,
            chain,
        })
    }

    /// Signs on the token; see the [`Signer`] impl.
    fn sign_on_token(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let session = self
            .session
            .lock()
            .map_err(|_| KeyError::Sign("PKCS#11 session lock poisoned".to_owned()))?;
        match self.algorithm {
            SignatureAlgorithm::RsaSha256 => session
                .sign(&Mechanism::Sha256RsaPkcs, self.key, data)
                .map_err(|e| KeyError::Sign(format!("C_Sign: {e}"))),
            SignatureAlgorithm::EcdsaP256Sha256 => {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
                let sig = session
                    .sign(&Mechanism::Ecdsa, self.key, digest.as_ref())
                    .map_err(|e| KeyError::Sign(format!("C_Sign: {e}")))?;
                if sig.len() != 64 {
                    return Err(KeyError::Sign(format!(
                        "token returned a {}-byte ECDSA signature, expected 64 (r||s)",
                        sig.len()
                    )));
                }
                Ok(sig)
            }
        }
    }
}

impl Signer for Pkcs11Signer {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// RSA PKCS#1 v1.5 of SHA-256(data) (`CKM_SHA256_RSA_PKCS`), or ECDSA P-256 r‖s
    /// (64 bytes, `CKM_ECDSA` over SHA-256(data)).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignerError> {
        self.sign_on_token(data).map_err(SignerError::from)
    }
}

/// The certificate must carry a key of the token key's type, and for RSA the same modulus
/// when the token exposes it (EC private keys do not expose their public point).
fn check_leaf(
    cert_der: &[u8],
    algorithm: SignatureAlgorithm,
    modulus: Option<&[u8]>,
) -> Result<(), KeyError> {
    let (_, cert) =
        X509Certificate::from_der(cert_der).map_err(|e| KeyError::Certificate(e.to_string()))?;
    let parsed = cert
        .public_key()
        .parsed()
        .map_err(|e| KeyError::Certificate(e.to_string()))?;
    match (algorithm, parsed) {
        (SignatureAlgorithm::RsaSha256, PublicKey::RSA(rsa)) => {
            if rsa.key_size() < 2048 {
                return Err(KeyError::UnsupportedKey(format!(
                    "RSA key of {} bits (at least 2048 needed)",
                    rsa.key_size()
                )));
            }
            match modulus {
                Some(m) if strip_zeros(m) != strip_zeros(rsa.modulus) => {
                    Err(KeyError::KeyCertMismatch)
                }
                _ => Ok(()),
            }
        }
        (SignatureAlgorithm::EcdsaP256Sha256, PublicKey::EC(_)) => Ok(()),
        _ => Err(KeyError::KeyCertMismatch),
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

fn ck(what: impl std::fmt::Display, e: CkError) -> KeyError {
    KeyError::Pkcs11(format!("{what}: {e}"))
}
