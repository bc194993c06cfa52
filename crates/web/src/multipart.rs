//! A small `multipart/form-data` reader (RFC 7578) for the forms that upload a file (key
//! files, Excel sheets, records to verify):
//! the body is already in memory (bounded by the caller's body limit), so parts are
//! slices of it. Only what browsers send is accepted: a `boundary` parameter, CRLF line ends, one
//! `Content-Disposition: form-data; name="…"` header per part. Anything else is `None`,
//! and the caller refuses the form.

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for a file field.
    pub filename: Option<String>,
    /// The content, as sent.
    pub data: Vec<u8>,
}

/// Whether a `Content-Type` value is `multipart/form-data`.
pub fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
}

/// Every part of `body`, or `None` when it is not a well-formed form.
pub fn parse(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = boundary(content_type)?;
    let delimiter = [b"--", boundary.as_bytes()].concat();
    let mut rest = &body[find(body, &delimiter)? + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let content = &rest[head_end + 4..];
        let closing = [b"\r\n", delimiter.as_slice()].concat();
        let end = find(content, &closing)?;
        let (name, filename) = disposition(head)?;
        parts.push(Part {
            name,
            filename,
            data: content[..end].to_vec(),
        });
        rest = &content[end + closing.len()..];
    }
}

/// The text of the first field `name`, if the form is well formed and has it.
pub fn text_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    parse(content_type, body)?
        .into_iter()
        .find(|p| p.name == name && p.filename.is_none())
        .and_then(|p| String::from_utf8(p.data).ok())
}

fn boundary(content_type: &str) -> Option<String> {
    if !is_multipart(content_type) {
        return None;
    }
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty() && value.len() <= 70).then(|| value.to_owned())
    })
}

/// `(name, filename)` from the part's headers.
fn disposition(head: &str) -> Option<(String, Option<String>)> {
    let line = head.split("\r\n").find(|l| {
        l.to_ascii_lowercase()
            .starts_with("content-disposition: form-data")
    })?;
    let mut name = None;
    let mut filename = None;
    for param in line.split(';').skip(1) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "name" => name = Some(value),
            "filename" => filename = Some(value),
            _ => {}
        }
    }
    Some((name?, filename))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_form_with_a_file_parses() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"p12\"; filename=\"gv.p12\"\r\n\
Content-Type: application/x-pkcs12\r\n\r\n\x00\x01\r\n\x02\r\n--XyZ--\r\n";
        let ct = "multipart/form-data; boundary=XyZ";
        let parts = parse(ct, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].filename.as_deref(), Some("gv.p12"));
        assert_eq!(parts[1].data, b"\x00\x01\r\n\x02");
        assert_eq!(text_field(ct, body, "_csrf").as_deref(), Some("abc"));
        assert_eq!(parse("multipart/form-data", body), None);
        assert_eq!(parse(ct, b"--XyZ\r\nno end"), None);
    }
}
