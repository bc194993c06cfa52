#![doc = include_str!("../README.md")]

pub mod multipart;
pub mod secret;

pub use secret::{SecretError, hash_password, random_hex, verify_password};

/// The value of cookie `name` in the request's `Cookie` headers (an empty value counts
/// as absent).
pub fn cookie<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Escapes `&`, `<`, `>`, `"` and `'` so that `s` is inert in HTML text and in quoted
/// attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped_vietnamese_is_kept() {
        assert_eq!(
            esc(r#"<b a="x" b='y'>Nguyễn & Trần</b>"#),
            "&lt;b a=&quot;x&quot; b=&#39;y&#39;&gt;Nguyễn &amp; Trần&lt;/b&gt;"
        );
    }
}
