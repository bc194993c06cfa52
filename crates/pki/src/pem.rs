//! Minimal PEM (RFC 7468) reading and writing: enough for certificate bundles, CRLs and
//! PKCS#8 keys. Text outside `-----BEGIN …-----` / `-----END …-----` is ignored, as
//! bundles often carry comments.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::LoadError;

/// Whether the bytes look like PEM text rather than DER (DER starts with a SEQUENCE tag).
pub fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes
        .windows(b"-----BEGIN ".len())
        .any(|w| w == b"-----BEGIN ")
}

/// The decoded contents of every block with the given label, in order.
///
/// # Errors
/// A block is not closed, closed with another label, or its base64 is invalid.
pub fn blocks(text: &[u8], label: &str) -> Result<Vec<Vec<u8>>, LoadError> {
    let text = std::str::from_utf8(text).map_err(|_| LoadError::Pem("not UTF-8".to_owned()))?;
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(begin) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {begin}-----");
        let mut b64 = String::new();
        let mut closed = false;
        for body in lines.by_ref() {
            let body = body.trim();
            if body == end {
                closed = true;
                break;
            }
            if body.starts_with("-----") {
                return Err(LoadError::Pem(format!("unexpected {body:?} in {begin}")));
            }
            // RFC 1421 headers (Proc-Type…) are not used by anything we read.
            if body.contains(':') {
                return Err(LoadError::Pem(format!(
                    "encrypted or annotated PEM block {begin} is not supported"
                )));
            }
            b64.push_str(body);
        }
        if !closed {
            return Err(LoadError::Pem(format!("{begin} block is not closed")));
        }
        if begin == label {
            let der = STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| LoadError::Pem(format!("{begin}: {e}")))?;
            out.push(der);
        }
    }
    Ok(out)
}

/// Encodes DER bytes as one PEM block with 64-character lines.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_labels() {
        let a = encode("CERTIFICATE", &[1, 2, 3]);
        let b = encode("X509 CRL", &[4; 100]);
        let text = format!("comment\n{a}between\n{b}{a}");
        assert_eq!(
            blocks(text.as_bytes(), "CERTIFICATE").unwrap(),
            vec![vec![1, 2, 3], vec![1, 2, 3]]
        );
        assert_eq!(
            blocks(text.as_bytes(), "X509 CRL").unwrap(),
            vec![vec![4; 100]]
        );
        assert!(looks_like_pem(text.as_bytes()));
        assert!(!looks_like_pem(&[0x30, 0x82]));
    }

    #[test]
    fn unclosed_block_is_an_error() {
        let err = blocks(b"-----BEGIN CERTIFICATE-----\nAQID\n", "CERTIFICATE").unwrap_err();
        assert!(matches!(err, LoadError::Pem(_)));
    }
}
