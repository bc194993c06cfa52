//! Signed receipts: the registry's answer to an accepted record (DESIGN.md §6).
//!
//! A receipt is a JSON object `{"receipt": {…}, "signature": "<base64>", "key": "<hex>"}`
//! where `signature` is Ed25519 over the canonical bytes of the `receipt` object (compact
//! JSON, keys in lexicographic order) and `key` the registry's public key. Ed25519
//! signatures are deterministic: the same receipt fields always give the same bytes.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair};
use base64::Engine;
use serde_json::{Value, json};

/// The fields a receipt certifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Name of the registry that received the record.
    pub registry: String,
    /// `MaDinhDanhHocBa` of the record.
    pub record_id: String,
    /// `PhienBan` of the record.
    pub version: u32,
    /// SHA-256 (hex) of the exact bytes received.
    pub digest: String,
    /// When the registry stored the record (Unix seconds).
    pub received_at: i64,
}

/// Why a receipt or key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The key bytes are not an Ed25519 PKCS#8 key.
    #[error("not an Ed25519 PKCS#8 key")]
    BadKey,
    /// The receipt is not the JSON shape described in the module documentation.
    #[error("malformed receipt: {0}")]
    Malformed(&'static str),
    /// The signature does not verify with the expected key.
    #[error("receipt signature does not verify")]
    BadSignature,
    /// The receipt was signed by another key than the registry's.
    #[error("receipt signed by an unexpected key")]
    WrongKey,
}

/// The registry's signing key.
pub struct RegistryKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for RegistryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryKey")
            .field("public", &self.public_hex())
            .finish_non_exhaustive()
    }
}

impl RegistryKey {
    /// A new random key, returned as PKCS#8 bytes to be stored by the operator.
    pub fn generate_pkcs8() -> Result<Vec<u8>, ReceiptError> {
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| ReceiptError::BadKey)
    }

    /// Loads a key from PKCS#8 bytes.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, ReceiptError> {
        Ed25519KeyPair::from_pkcs8(bytes)
            .map(|pair| RegistryKey { pair })
            .map_err(|_| ReceiptError::BadKey)
    }

    /// The public key, lowercase hex: what schools pin to check receipts.
    pub fn public_hex(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }

    /// Signs `receipt` and returns the receipt document (compact JSON).
    pub fn sign(&self, receipt: &Receipt) -> String {
        let body = canonical(&fields(receipt));
        let sig = self.pair.sign(body.as_bytes());
        json!({
            "receipt": fields(receipt),
            "signature": base64::engine::general_purpose::STANDARD.encode(sig.as_ref()),
            "key": self.public_hex(),
        })
        .to_string()
    }
}

fn fields(r: &Receipt) -> Value {
    json!({
        "registry": r.registry,
        "record_id": r.record_id,
        "version": r.version,
        "digest": r.digest,
        "received_at": r.received_at,
    })
}

/// Compact JSON with sorted keys (serde_json's map keeps keys sorted).
fn canonical(v: &Value) -> String {
    v.to_string()
}

/// Checks a receipt document against the registry's public key (hex) and returns its
/// fields.
pub fn verify_receipt(document: &str, registry_public_hex: &str) -> Result<Receipt, ReceiptError> {
    let v: Value =
        serde_json::from_str(document).map_err(|_| ReceiptError::Malformed("not JSON"))?;
    let key = v["key"].as_str().ok_or(ReceiptError::Malformed("key"))?;
    if !key.eq_ignore_ascii_case(registry_public_hex) {
        return Err(ReceiptError::WrongKey);
    }
    let public = hex::decode(key).map_err(|_| ReceiptError::Malformed("key is not hex"))?;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(
            v["signature"]
                .as_str()
                .ok_or(ReceiptError::Malformed("signature"))?,
        )
        .map_err(|_| ReceiptError::Malformed("signature is not base64"))?;
    let body = &v["receipt"];
    let receipt = Receipt {
        registry: str_field(body, "registry")?,
        record_id: str_field(body, "record_id")?,
        version: body["version"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(ReceiptError::Malformed("version"))?,
        digest: str_field(body, "digest")?,
        received_at: body["received_at"]
            .as_i64()
            .ok_or(ReceiptError::Malformed("received_at"))?,
    };
    // Verify over the canonical form of exactly the fields we return, so extra or
    // reordered members in `receipt` cannot ride along.
    signature::UnparsedPublicKey::new(&signature::ED25519, &public)
        .verify(canonical(&fields(&receipt)).as_bytes(), &sig)
        .map_err(|_| ReceiptError::BadSignature)?;
    Ok(receipt)
}

fn str_field(v: &Value, name: &'static str) -> Result<String, ReceiptError> {
    v[name]
        .as_str()
        .map(str::to_string)
        .ok_or(ReceiptError::Malformed(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            registry: "CSDL học bạ số (demo)".into(),
            record_id: "9f68fc9b-dc7d-81af-9716-88433797d48c".into(),
            version: 1,
            digest: "ab".repeat(32),
            received_at: 1_780_000_000,
        }
    }

    #[test]
    fn receipts_verify_and_are_deterministic() {
        let key = RegistryKey::from_pkcs8(&RegistryKey::generate_pkcs8().unwrap()).unwrap();
        let doc = key.sign(&receipt());
        assert_eq!(doc, key.sign(&receipt()));
        assert_eq!(verify_receipt(&doc, &key.public_hex()), Ok(receipt()));
    }

    #[test]
    fn tampered_or_foreign_receipts_are_refused() {
        let key = RegistryKey::from_pkcs8(&RegistryKey::generate_pkcs8().unwrap()).unwrap();
        let other = RegistryKey::from_pkcs8(&RegistryKey::generate_pkcs8().unwrap()).unwrap();
        let doc = key.sign(&receipt());
        let tampered = doc.replace("\"version\":1", "\"version\":2");
        assert_ne!(tampered, doc);
        assert_eq!(
            verify_receipt(&tampered, &key.public_hex()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            verify_receipt(&doc, &other.public_hex()),
            Err(ReceiptError::WrongKey)
        );
        // A foreign key swapped into the document is still refused.
        let forged = other.sign(&receipt());
        assert_eq!(
            verify_receipt(&forged, &key.public_hex()),
            Err(ReceiptError::WrongKey)
        );
        assert!(matches!(
            verify_receipt("{}", &key.public_hex()),
            Err(ReceiptError::Malformed(_))
        ));
    }
}
