//! Just enough DER to read what XMLDSig needs from an X.509 certificate: the public key
//! (to check SignedInfo), and the fields of a [`CertSummary`].
//!
//! This is **not** certificate validation; path building, key usage, constraints and
//! revocation belong to a [`TrustPolicy`](crate::TrustPolicy) (the `pki` crate).

use crate::trust::CertSummary;

/// Errors reading a certificate.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum CertError {
    /// The DER structure is truncated or not what X.509 prescribes.
    #[error("malformed certificate: {0}")]
    Malformed(&'static str),
    /// The subject public key is neither RSA nor EC P-256.
    #[error("unsupported public key algorithm in certificate")]
    UnsupportedKey,
}

/// The kind of subject public key of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// rsaEncryption; the key bytes are a PKCS#1 `RSAPublicKey`.
    Rsa,
    /// id-ecPublicKey on prime256v1; the key bytes are an uncompressed SEC1 point.
    EcP256,
}

/// The parts of a certificate this crate and simple trust policies read.
#[derive(Debug, Clone)]
pub struct ParsedCertificate<'a> {
    /// The DER of `tbsCertificate` (what the issuer signed).
    pub tbs: &'a [u8],
    /// Serial number bytes as encoded (big-endian two's complement).
    pub serial: &'a [u8],
    /// DER of the issuer Name.
    pub issuer_der: &'a [u8],
    /// DER of the subject Name.
    pub subject_der: &'a [u8],
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// Subject public key kind.
    pub key_kind: KeyKind,
    /// Subject public key bytes in the form aws-lc-rs `UnparsedPublicKey` expects.
    pub public_key: &'a [u8],
    /// OID bytes (DER content) of the outer signature algorithm.
    pub signature_algorithm_oid: &'a [u8],
    /// The issuer's signature over `tbs` (BIT STRING content without the unused-bits byte).
    pub signature: &'a [u8],
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// sha256WithRSAEncryption.
pub const OID_SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
/// ecdsa-with-SHA256.
pub const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads one TLV; returns (tag, content, whole TLV).
    fn tlv(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), CertError> {
        let bad = CertError::Malformed("truncated DER");
        let d = self.data;
        let tag = *d.first().ok_or(bad.clone())?;
        let l0 = *d.get(1).ok_or(bad.clone())?;
        let (len, hdr) = if l0 < 0x80 {
            (usize::from(l0), 2)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 4 {
                return Err(CertError::Malformed("unsupported DER length"));
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | usize::from(*d.get(2 + i).ok_or(bad.clone())?);
            }
            (len, 2 + n)
        };
        let end = hdr.checked_add(len).filter(|e| *e <= d.len()).ok_or(bad)?;
        self.data = &d[end..];
        Ok((tag, &d[hdr..end], &d[..end]))
    }

    fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], CertError> {
        let (t, c, _) = self.tlv()?;
        if t != tag {
            return Err(CertError::Malformed(what));
        }
        Ok(c)
    }

    fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }
}

/// Parses the fields of a DER X.509 certificate listed in [`ParsedCertificate`].
///
/// # Errors
/// [`CertError`] if the structure is not a v1/v3 certificate or the key is not RSA or
/// EC P-256.
pub fn parse_certificate(der: &[u8]) -> Result<ParsedCertificate<'_>, CertError> {
    let mut outer = Reader { data: der };
    let cert = outer.expect(0x30, "certificate is not a SEQUENCE")?;
    if !outer.data.is_empty() {
        return Err(CertError::Malformed("trailing bytes after certificate"));
    }
    let mut c = Reader { data: cert };
    let (t, tbs_content, tbs) = c.tlv()?;
    if t != 0x30 {
        return Err(CertError::Malformed("tbsCertificate is not a SEQUENCE"));
    }
    let sig_alg = c.expect(0x30, "signatureAlgorithm")?;
    let sig_bits = c.expect(0x03, "signatureValue")?;
    let signature = sig_bits
        .get(1..)
        .ok_or(CertError::Malformed("empty signature"))?;
    let signature_algorithm_oid = Reader { data: sig_alg }.expect(0x06, "signature OID")?;

    let mut r = Reader { data: tbs_content };
    if r.peek_tag() == Some(0xa0) {
        r.tlv()?;
    }
    let serial = r.expect(0x02, "serialNumber")?;
    r.expect(0x30, "signature")?;
    let (t, _, issuer_der) = r.tlv()?;
    if t != 0x30 {
        return Err(CertError::Malformed("issuer"));
    }
    let validity = r.expect(0x30, "validity")?;
    let mut v = Reader { data: validity };
    let not_before = read_time(&mut v)?;
    let not_after = read_time(&mut v)?;
    let (t, _, subject_der) = r.tlv()?;
    if t != 0x30 {
        return Err(CertError::Malformed("subject"));
    }
    let spki = r.expect(0x30, "subjectPublicKeyInfo")?;
    let mut s = Reader { data: spki };
    let alg = s.expect(0x30, "SPKI algorithm")?;
    let key_bits = s.expect(0x03, "SPKI key")?;
    let public_key = key_bits.get(1..).ok_or(CertError::Malformed("empty key"))?;
    let mut a = Reader { data: alg };
    let oid = a.expect(0x06, "SPKI algorithm OID")?;
    let key_kind = if oid == OID_RSA {
        KeyKind::Rsa
    } else if oid == OID_EC {
        let curve = a
            .expect(0x06, "EC curve OID")
            .map_err(|_| CertError::UnsupportedKey)?;
        if curve != OID_P256 {
            return Err(CertError::UnsupportedKey);
        }
        KeyKind::EcP256
    } else {
        return Err(CertError::UnsupportedKey);
    };
    Ok(ParsedCertificate {
        tbs,
        serial,
        issuer_der,
        subject_der,
        not_before,
        not_after,
        key_kind,
        public_key,
        signature_algorithm_oid,
        signature,
    })
}

/// Builds a [`CertSummary`] from a DER certificate: subject and issuer rendered as
/// `CN=…, O=…` (common attributes only; others as dotted OIDs), serial in lowercase hex,
/// validity bounds and the SHA-256 fingerprint of the DER.
///
/// # Errors
/// As [`parse_certificate`].
pub fn summarize_certificate(der: &[u8]) -> Result<CertSummary, CertError> {
    let p = parse_certificate(der)?;
    let fp = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    Ok(CertSummary {
        subject: render_name(p.subject_der)?,
        issuer: render_name(p.issuer_der)?,
        serial_hex: hex(p.serial),
        not_before: p.not_before,
        not_after: p.not_after,
        sha256_fingerprint: hex(fp.as_ref()),
    })
}

pub(crate) fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn render_name(name_der: &[u8]) -> Result<String, CertError> {
    let mut outer = Reader { data: name_der };
    let seq = outer.expect(0x30, "Name")?;
    let mut rdns = Reader { data: seq };
    let mut parts = Vec::new();
    while !rdns.data.is_empty() {
        let set = rdns.expect(0x31, "RDN")?;
        let mut atvs = Reader { data: set };
        while !atvs.data.is_empty() {
            let atv = atvs.expect(0x30, "AttributeTypeAndValue")?;
            let mut a = Reader { data: atv };
            let oid = a.expect(0x06, "attribute OID")?;
            let (_, value, _) = a.tlv()?;
            let key = match oid {
                [0x55, 0x04, 0x03] => "CN".to_owned(),
                [0x55, 0x04, 0x06] => "C".to_owned(),
                [0x55, 0x04, 0x07] => "L".to_owned(),
                [0x55, 0x04, 0x08] => "ST".to_owned(),
                [0x55, 0x04, 0x0a] => "O".to_owned(),
                [0x55, 0x04, 0x0b] => "OU".to_owned(),
                [0x55, 0x04, 0x05] => "serialNumber".to_owned(),
                [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID".to_owned(),
                _ => format!("OID.{}", hex(oid)),
            };
            parts.push(format!("{key}={}", String::from_utf8_lossy(value)));
        }
    }
    parts.reverse();
    Ok(parts.join(", "))
}

fn read_time(r: &mut Reader<'_>) -> Result<i64, CertError> {
    let (tag, c, _) = r.tlv()?;
    let s = std::str::from_utf8(c)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or(CertError::Malformed("time"))?;
    let digits = |x: &str| -> Result<i64, CertError> {
        if x.bytes().all(|b| b.is_ascii_digit()) {
            x.parse().map_err(|_| CertError::Malformed("time"))
        } else {
            Err(CertError::Malformed("time"))
        }
    };
    let (year, rest) = match tag {
        0x17 if s.len() == 13 => {
            let y = digits(&s[..2])?;
            (if y >= 50 { 1900 + y } else { 2000 + y }, &s[2..])
        }
        0x18 if s.len() == 15 => (digits(&s[..4])?, &s[4..]),
        _ => return Err(CertError::Malformed("time encoding")),
    };
    if !rest.ends_with('Z') {
        return Err(CertError::Malformed("time zone"));
    }
    let f = |i: usize| digits(&rest[i..i + 2]);
    crate::time::unix_from_civil(year, f(0)?, f(2)?, f(4)?, f(6)?, f(8)?)
        .ok_or(CertError::Malformed("time value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncations_are_errors_not_panics() {
        for input in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x03, 0x02, 0x01],
            &[0x04, 0x00],
        ] {
            assert!(parse_certificate(input).is_err());
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_certificate(&bytes);
            let _ = summarize_certificate(&bytes);
        }
    }
}
