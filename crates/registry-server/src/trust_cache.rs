//! Certificate path validation cached across records.
//!
//! Every record brings the same few certificate chains (a school's teachers, principal
//! and seal), and validating a chain — parsing every certificate, checking each link's
//! signature, the constraints and the CRLs — costs more than the record's own signature
//! checks. [`TrustCache`] remembers, per chain (SHA-256 over the DER certificates as
//! sent), the signer's summary and the period in which every certificate of the path
//! found (the root included) is valid.
//!
//! Contract: a cached answer is given only for a signing time inside that period, so a
//! chain is still refused outside any certificate's validity; every other check
//! (signatures, constraints, key usage, CRLs) does not depend on the time and was done
//! against the trust store of the same generation: [`TrustCache::replace`] installs a new
//! store (new roots or CRLs) and empties the cache in one step, and an answer computed
//! against the old store is never stored into the new generation. Refusals are never
//! cached (each is validated again, with its precise reason). Whether the seal certificate
//! is approved is not a question of trust and is never cached here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::digest;
use xmldsig::{CertSummary, TrustError, TrustPolicy};

/// Chains remembered at most; the cache is emptied when full (a registry sees a few
/// chains per school, so this holds every school of a province and more).
pub const MAX_CACHED_CHAINS: usize = 100_000;

/// A trust store with its validated chains remembered (see the module documentation).
#[derive(Debug)]
pub struct TrustCache {
    generation: RwLock<Generation>,
}

#[derive(Debug)]
struct Generation {
    store: Arc<pki::TrustStore>,
    paths: HashMap<[u8; 32], CachedPath>,
}

#[derive(Debug, Clone)]
struct CachedPath {
    summary: CertSummary,
    /// Latest notBefore of the path's certificates (Unix seconds).
    valid_from: i64,
    /// Earliest notAfter of the path's certificates (Unix seconds, inclusive).
    valid_until: i64,
}

impl TrustCache {
    /// A cache over `store`, empty.
    pub fn new(store: pki::TrustStore) -> TrustCache {
        TrustCache {
            generation: RwLock::new(Generation {
                store: Arc::new(store),
                paths: HashMap::new(),
            }),
        }
    }

    /// Installs a new trust store (other roots, newer CRLs) and forgets every chain
    /// validated against the old one.
    pub fn replace(&self, store: pki::TrustStore) {
        let mut g = self.write();
        g.store = Arc::new(store);
        g.paths.clear();
    }

    /// The trust store of the current generation.
    pub fn store(&self) -> Arc<pki::TrustStore> {
        Arc::clone(&self.read().store)
    }

    /// Number of chains remembered.
    pub fn len(&self) -> usize {
        self.read().paths.len()
    }

    /// Whether no chain is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Generation> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters (each insert or clear is one call), so a poisoned lock is used as is.
        self.generation
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Generation> {
        self.generation
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TrustPolicy for TrustCache {
    /// As [`pki::TrustStore`]'s validation, answered from the cache when this chain was
    /// accepted before by the current store and `at_unix_seconds` lies in the validity of
    /// every certificate of its path.
    fn validate(&self, chain: &[Vec<u8>], at_unix_seconds: i64) -> Result<CertSummary, TrustError> {
        let key = chain_key(chain);
        let store = {
            let g = self.read();
            if let Some(c) = g.paths.get(&key)
                && c.valid_from <= at_unix_seconds
                && at_unix_seconds <= c.valid_until
            {
                return Ok(c.summary.clone());
            }
            Arc::clone(&g.store)
        };
        let path = store.validate(chain, at_unix_seconds)?;
        let certs = || std::iter::once(&path.signer).chain(path.issuers.iter());
        let cached = CachedPath {
            valid_from: certs().map(|c| c.not_before).max().unwrap_or(i64::MAX),
            valid_until: certs().map(|c| c.not_after).min().unwrap_or(i64::MIN),
            summary: CertSummary {
                subject: path.signer.subject.clone(),
                issuer: path.signer.issuer.clone(),
                serial_hex: path.signer.serial_hex.clone(),
                not_before: path.signer.not_before,
                not_after: path.signer.not_after,
                sha256_fingerprint: path.signer.sha256_fingerprint.clone(),
            },
        };
        let summary = cached.summary.clone();
        let mut g = self.write();
        // Only into the generation the answer was computed against.
        if Arc::ptr_eq(&g.store, &store) {
            if g.paths.len() >= MAX_CACHED_CHAINS {
                g.paths.clear();
            }
            g.paths.insert(key, cached);
        }
        Ok(summary)
    }
}

/// SHA-256 over the chain, each certificate prefixed with its length so that no two
/// different chains share a key.
fn chain_key(chain: &[Vec<u8>]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for der in chain {
        ctx.update(&(der.len() as u64).to_be_bytes());
        ctx.update(der);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(ctx.finish().as_ref());
    key
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    fn fixture() -> (pki::DemoPki, pki::TrustStore) {
        let pki = pki::demo_pki(NOW - 86_400).unwrap();
        let trust = pki::TrustStore::from_pem_bundle(pki.root_pem().as_bytes()).unwrap();
        (pki, trust)
    }

    #[test]
    fn an_accepted_chain_is_remembered_and_answers_alike() {
        let (pki, trust) = fixture();
        let cache = TrustCache::new(trust.clone());
        let first = cache.validate(&pki.seal.chain, NOW).unwrap();
        assert_eq!(cache.len(), 1);
        let again = cache.validate(&pki.seal.chain, NOW + 60).unwrap();
        assert_eq!(first, again);
        assert_eq!(
            first,
            xmldsig::TrustPolicy::validate(&trust, &pki.seal.chain, NOW).unwrap()
        );
    }

    #[test]
    fn a_cached_chain_is_refused_outside_its_validity() {
        let (pki, trust) = fixture();
        let cache = TrustCache::new(trust);
        let summary = cache.validate(&pki.seal.chain, NOW).unwrap();
        let after = cache
            .validate(&pki.seal.chain, summary.not_after + 1)
            .unwrap_err();
        assert_eq!(after.code(), "trust_not_valid_at_time", "{after}");
        let before = cache
            .validate(&pki.seal.chain, summary.not_before - 1)
            .unwrap_err();
        assert_eq!(before.code(), "trust_not_valid_at_time", "{before}");
    }

    #[test]
    fn a_cached_chain_is_refused_once_a_newer_crl_revokes_it() {
        let (pki, trust) = fixture();
        let cache = TrustCache::new(trust.clone());
        cache.validate(&pki.seal.chain, NOW).unwrap();
        let mut revoked = trust;
        revoked
            .add_crls(&crl(&pki.school_ca, &pki.seal.cert_der))
            .unwrap();
        cache.replace(revoked);
        assert!(cache.is_empty());
        let err = cache.validate(&pki.seal.chain, NOW).unwrap_err();
        assert_eq!(err.code(), "trust_revoked", "{err}");
        // Other chains of the same store still validate.
        cache.validate(&pki.gvcn.chain, NOW).unwrap();
    }

    #[test]
    fn a_refusal_is_not_remembered() {
        let (pki, _) = fixture();
        let cache = TrustCache::new(pki::TrustStore::new());
        assert!(cache.validate(&pki.seal.chain, NOW).is_err());
        assert!(cache.is_empty());
    }

    // A minimal DER writer for a v2 CRL (webpki's profile: version, nextUpdate and a CRL
    // number are required) issued by a demo CA with its RSA key.

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend([0x81, n as u8]);
        } else {
            out.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    /// Splits one DER element off `der`: (tag, whole element, content, rest).
    fn take(der: &[u8]) -> (u8, &[u8], &[u8], &[u8]) {
        let (tag, len_byte) = (der[0], der[1] as usize);
        let (len, head) = if len_byte < 0x80 {
            (len_byte, 2)
        } else {
            let k = len_byte & 0x7f;
            let len = der[2..2 + k]
                .iter()
                .fold(0usize, |a, b| (a << 8) | *b as usize);
            (len, 2 + k)
        };
        (
            tag,
            &der[..head + len],
            &der[head..head + len],
            &der[head + len..],
        )
    }

    /// (issuer Name element, serial INTEGER element) of a certificate.
    fn issuer_and_serial(cert: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (_, _, certificate, _) = take(cert);
        let (_, _, tbs, _) = take(certificate);
        let (tag, _, _, rest) = take(tbs);
        assert_eq!(tag, 0xa0, "v3 certificate");
        let (_, serial, _, rest) = take(rest);
        let (_, _, _, rest) = take(rest); // signature algorithm
        let (_, issuer, _, _) = take(rest);
        (issuer.to_vec(), serial.to_vec())
    }

    /// A CRL by `ca` listing `revoked_cert`.
    pub(crate) fn crl(ca: &pki::DemoCa, revoked_cert: &[u8]) -> Vec<u8> {
        let (issuer, serial) = issuer_and_serial(revoked_cert);
        let time = |s: &str| tlv(0x17, s.as_bytes());
        let sha256_rsa = tlv(
            0x30,
            &[
                tlv(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
                ),
                vec![0x05, 0x00],
            ]
            .concat(),
        );
        let revoked = tlv(0x30, &tlv(0x30, &[serial, time("260101000000Z")].concat()));
        let crl_number = tlv(
            0x30,
            &[
                tlv(0x06, &[0x55, 0x1d, 0x14]),
                tlv(0x04, &tlv(0x02, &[0x02])),
            ]
            .concat(),
        );
        let tbs = tlv(
            0x30,
            &[
                tlv(0x02, &[0x01]),
                sha256_rsa.clone(),
                issuer,
                time("260101000000Z"),
                time("491231000000Z"),
                revoked,
                tlv(0xa0, &tlv(0x30, &crl_number)),
            ]
            .concat(),
        );
        let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&ca.key_pkcs8_der).unwrap();
        let mut sig = vec![0u8; key.public_modulus_len()];
        key.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            &tbs,
            &mut sig,
        )
        .unwrap();
        let mut bits = vec![0u8];
        bits.extend(sig);
        tlv(0x30, &[tbs, sha256_rsa, tlv(0x03, &bits)].concat())
    }
}
