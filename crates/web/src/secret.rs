//! Passwords and random tokens, the same scheme on both servers: argon2id with default
//! parameters (m = 19 MiB, t = 2, p = 1) and a fresh 16-byte salt, stored as the PHC
//! string; tokens are operating-system random bytes in lowercase hex.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Why a hash or a token could not be made (the operating system's random source or
/// argon2 failed: nothing a caller's input can cause).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The random source failed.
    #[error("random: {0}")]
    Random(String),
    /// Hashing failed.
    #[error("argon2: {0}")]
    Hash(String),
}

/// Hashes `password` with argon2id and a fresh random salt; returns the PHC string. Slow on
/// purpose (tens of milliseconds): call it off the async runtime.
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| SecretError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| SecretError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. A malformed PHC string never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// `n` random bytes from the operating system, in lowercase hex.
pub fn random_hex(n: usize) -> Result<String, SecretError> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash_password("hocba-demo").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("hocba-demo", &phc));
        assert!(!verify_password("hocba-demo ", &phc));
        assert!(!verify_password("hocba-demo", "not a phc string"));
    }

    #[test]
    fn random_hex_has_the_asked_length_and_differs() {
        let (a, b) = (random_hex(16).unwrap(), random_hex(16).unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
