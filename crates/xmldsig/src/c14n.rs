//! Exclusive XML Canonicalization 1.0 without comments
//! (<https://www.w3.org/TR/xml-exc-c14n/>), over a roxmltree document.
//!
//! The input is always a whole subtree (an element and all its descendants), or the whole
//! document minus at most one excluded subtree (the enveloped-signature transform). That
//! is exactly the node-sets the XMLDSig profile can produce, so no general XPath node-set
//! machinery is needed.
//!
//! roxmltree resolves namespaces but forgets the prefix an element or attribute was
//! written with; canonical XML must reproduce it, so the prefix is read back from the
//! source text through the node ranges (`Node::range`, `Attribute::range_qname`).

use roxmltree::{Node, NodeId, NodeType};

/// Errors of canonicalization. They only arise on documents roxmltree accepted but whose
/// source ranges do not look like XML tags, which would be a parser bug.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum C14nError {
    /// The node passed in is not an element.
    #[error("canonicalization input is not an element")]
    NotAnElement,
    /// A tag name could not be read back from the source text.
    #[error("cannot read the qualified name of an element at byte {0}")]
    BadSourceRange(usize),
    /// A rendered namespace URI contains `&`, `<`, `"` or a TAB/LF/CR. The specification
    /// escapes them, libxml2 (hence xmlsec1) does not; refusing keeps every verifier in
    /// agreement.
    #[error("namespace URI {0:?} contains characters that need escaping")]
    NamespaceUriNeedsEscaping(String),
}

/// Canonicalizes the subtree rooted at `element` with Exclusive XML Canonicalization 1.0
/// without comments, appending the octets to `out`.
///
/// `inclusive_prefixes` is the `InclusiveNamespaces PrefixList` (use `"#default"` for the
/// default namespace); namespaces with those prefixes are rendered by the inclusive rules,
/// i.e. whenever in scope and not already rendered by an output ancestor.
///
/// # Errors
/// [`C14nError::NotAnElement`] if `element` is not an element.
pub fn canonicalize(
    element: Node<'_, '_>,
    inclusive_prefixes: &[&str],
    out: &mut Vec<u8>,
) -> Result<(), C14nError> {
    if !element.is_element() {
        return Err(C14nError::NotAnElement);
    }
    Canonicalizer::new(element.document().input_text(), inclusive_prefixes, None).run(element, out)
}

/// Canonicalizes the whole document (XPath `/` without comments), leaving out the subtree
/// rooted at `exclude` if given — the enveloped-signature transform followed by exclusive
/// canonicalization.
///
/// # Errors
/// Only on a source-range inconsistency (see [`C14nError`]).
pub fn canonicalize_document(
    doc: &roxmltree::Document<'_>,
    inclusive_prefixes: &[&str],
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), C14nError> {
    let mut c = Canonicalizer::new(doc.input_text(), inclusive_prefixes, exclude);
    let mut after_root = false;
    for child in doc.root().children() {
        match child.node_type() {
            NodeType::Element => {
                c.element_subtree(child, out)?;
                after_root = true;
            }
            NodeType::PI if Some(child.id()) != exclude => {
                // Section 2.1 of C14N: PIs outside the document element are separated
                // from it by a line feed.
                if after_root {
                    out.push(b'\n');
                }
                write_pi(child, out);
                if !after_root {
                    out.push(b'\n');
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Canonicalizes the element with attribute `Id` (or `ID`/`id`) equal to `id` in `xml`.
/// A convenience for tests and tools.
///
/// # Errors
/// A message if `xml` does not parse (DTDs are refused) or the id is not found.
pub fn canonicalize_id(
    xml: &str,
    id: &str,
    inclusive_prefixes: &[&str],
) -> Result<Vec<u8>, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let node = doc
        .descendants()
        .find(|n| {
            n.is_element()
                && n.attributes()
                    .any(|a| is_id_attr_name(a.name()) && a.value() == id)
        })
        .ok_or_else(|| format!("no element with Id {id:?}"))?;
    let mut out = Vec::new();
    canonicalize(node, inclusive_prefixes, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Whether an attribute local name counts as an identifier attribute for our profile.
pub(crate) fn is_id_attr_name(name: &str) -> bool {
    matches!(name, "Id" | "ID" | "id")
}

/// Returns the qualified name an element was written with.
pub(crate) fn element_qname<'i>(text: &'i str, node: Node<'_, 'i>) -> Result<&'i str, C14nError> {
    let start = node.range().start;
    let rest = text
        .get(start + 1..)
        .filter(|_| text.as_bytes().get(start) == Some(&b'<'))
        .ok_or(C14nError::BadSourceRange(start))?;
    let end = rest
        .bytes()
        .position(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>'))
        .ok_or(C14nError::BadSourceRange(start))?;
    Ok(&rest[..end])
}

struct Canonicalizer<'a, 'p> {
    text: &'a str,
    inclusive: &'p [&'p str],
    exclude: Option<NodeId>,
    /// Namespace declarations rendered by open output ancestors: (prefix, uri), with ""
    /// as the default namespace's prefix.
    rendered: Vec<(&'a str, &'a str)>,
    attrs: Vec<Attr<'a>>,
    utilized: Vec<&'a str>,
    decls: Vec<(&'a str, &'a str)>,
}

struct Attr<'a> {
    ns: &'a str,
    local: &'a str,
    qname: &'a str,
    value: &'a str,
}

impl<'a, 'p> Canonicalizer<'a, 'p> {
    fn new(text: &'a str, inclusive: &'p [&'p str], exclude: Option<NodeId>) -> Self {
        Canonicalizer {
            text,
            inclusive,
            exclude,
            rendered: Vec::new(),
            attrs: Vec::new(),
            utilized: Vec::new(),
            decls: Vec::new(),
        }
    }

    fn run(mut self, element: Node<'a, 'a>, out: &mut Vec<u8>) -> Result<(), C14nError> {
        self.element_subtree(element, out)
    }

    fn nearest_rendered(&self, prefix: &str) -> Option<&'a str> {
        self.rendered
            .iter()
            .rev()
            .find(|(p, _)| short_eq(p, prefix))
            .map(|(_, u)| *u)
    }

    /// Walks the subtree iteratively (depth is bounded by the caller's limits, but an
    /// explicit stack keeps stack use flat regardless).
    fn element_subtree(&mut self, root: Node<'a, 'a>, out: &mut Vec<u8>) -> Result<(), C14nError> {
        if Some(root.id()) == self.exclude {
            return Ok(());
        }
        // Stack of (element, qname, rendered-stack length before it).
        let mut stack: Vec<(Node<'a, 'a>, &'a str, usize)> = Vec::new();
        let mut next = Some(root);
        loop {
            if let Some(node) = next.take() {
                match node.node_type() {
                    NodeType::Element if Some(node.id()) != self.exclude => {
                        let mark = self.rendered.len();
                        let qname = self.start_tag(node, out)?;
                        if let Some(child) = node.first_child() {
                            stack.push((node, qname, mark));
                            next = Some(child);
                            continue;
                        }
                        write_end_tag(qname, out);
                        self.rendered.truncate(mark);
                    }
                    NodeType::Text => escape_text(node.text().unwrap_or(""), out),
                    NodeType::PI => write_pi(node, out),
                    _ => {}
                }
                if node == root {
                    return Ok(());
                }
                next = node.next_sibling();
                if next.is_some() {
                    continue;
                }
            }
            // No next sibling: close the innermost open element and move past it.
            let Some((el, qname, mark)) = stack.pop() else {
                return Ok(());
            };
            write_end_tag(qname, out);
            self.rendered.truncate(mark);
            if el == root {
                return Ok(());
            }
            next = el.next_sibling();
        }
    }

    fn start_tag(&mut self, node: Node<'a, 'a>, out: &mut Vec<u8>) -> Result<&'a str, C14nError> {
        let text = self.text;
        let qname = element_qname(text, node)?;
        let el_prefix = qname.split_once(':').map_or("", |(p, _)| p);

        // Scratch vectors are reused across elements: this runs once per element of
        // every referenced subtree, on the verification hot path.
        let mut attrs = std::mem::take(&mut self.attrs);
        let mut utilized = std::mem::take(&mut self.utilized);
        let mut decls = std::mem::take(&mut self.decls);
        attrs.clear();
        utilized.clear();
        decls.clear();
        // Prefixes visibly utilized: the element's own (or the default namespace) and
        // those of its prefixed attributes.
        utilized.push(el_prefix);
        for a in node.attributes() {
            let qr = a.range_qname();
            let aq = text
                .get(qr)
                .ok_or(C14nError::BadSourceRange(a.range().start))?;
            if let Some((p, _)) = aq.split_once(':') {
                utilized.push(p);
            }
            attrs.push(Attr {
                ns: a.namespace().unwrap_or(""),
                local: a.name(),
                qname: aq,
                value: a.value(),
            });
        }

        // Candidate namespace nodes: (prefix, uri) with "" for default.
        let mut has_default = false;
        for ns in node.namespaces() {
            let prefix = ns.name().unwrap_or("");
            has_default |= prefix.is_empty();
            let uri: &'a str = ns_uri(ns);
            if short_eq(prefix, "xml") {
                continue;
            }
            let inclusive = !self.inclusive.is_empty()
                && self.inclusive.iter().any(|p| {
                    if prefix.is_empty() {
                        short_eq(p, "#default")
                    } else {
                        short_eq(p, prefix)
                    }
                });
            if !(inclusive || utilized.iter().any(|u| short_eq(u, prefix))) {
                continue;
            }
            let already = self.nearest_rendered(prefix);
            if prefix.is_empty() && uri.is_empty() {
                // xmlns="" only cancels a non-empty default rendered by an output ancestor.
                if already.is_some_and(|u| !u.is_empty()) {
                    decls.push(("", ""));
                }
                continue;
            }
            if !already.is_some_and(|a| short_eq(a, uri)) {
                decls.push((prefix, uri));
            }
        }
        // The element uses the default namespace but none is declared in scope (possible
        // when roxmltree omits the empty default): treat as xmlns="".
        if el_prefix.is_empty()
            && !has_default
            && self.nearest_rendered("").is_some_and(|u| !u.is_empty())
        {
            decls.push(("", ""));
        }
        if decls.len() > 1 {
            decls.sort_unstable_by(|a, b| a.0.cmp(b.0));
            decls.dedup_by(|a, b| a.0 == b.0);
        }
        if attrs.len() > 1 {
            attrs.sort_unstable_by(|a, b| {
                short_cmp(a.ns, b.ns).then_with(|| short_cmp(a.local, b.local))
            });
        }

        out.push(b'<');
        out.extend_from_slice(qname.as_bytes());
        for (prefix, uri) in &decls {
            if uri
                .bytes()
                .any(|b| matches!(b, b'&' | b'<' | b'"' | b'\t' | b'\n' | b'\r'))
            {
                return Err(C14nError::NamespaceUriNeedsEscaping((*uri).to_owned()));
            }
            if prefix.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(prefix.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attr(uri, out);
            out.push(b'"');
        }
        for a in &attrs {
            out.push(b' ');
            out.extend_from_slice(a.qname.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(a.value, out);
            out.push(b'"');
        }
        out.push(b'>');
        self.rendered.extend_from_slice(&decls);
        self.attrs = attrs;
        self.utilized = utilized;
        self.decls = decls;
        Ok(qname)
    }
}

/// roxmltree hands out namespace URIs borrowed from the document; this keeps the lifetime.
fn ns_uri<'a>(ns: &'a roxmltree::Namespace<'_>) -> &'a str {
    ns.uri()
}

/// String equality without a `memcmp` call: prefixes and namespace URIs are short and
/// compared several times per element.
#[inline]
fn short_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Byte-wise string ordering without a `memcmp` call (same order as `str::cmp`).
#[inline]
fn short_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    for (x, y) in a.bytes().zip(b.bytes()) {
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

fn write_end_tag(qname: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"</");
    out.extend_from_slice(qname.as_bytes());
    out.push(b'>');
}

fn write_pi(node: Node<'_, '_>, out: &mut Vec<u8>) {
    if let Some(pi) = node.pi() {
        out.extend_from_slice(b"<?");
        out.extend_from_slice(pi.target.as_bytes());
        if let Some(v) = pi.value.filter(|v| !v.is_empty()) {
            out.push(b' ');
            out.extend_from_slice(v.as_bytes());
        }
        out.extend_from_slice(b"?>");
    }
}

/// Escapes character data as canonical XML does: `&`, `<`, `>` and CR.
pub(crate) fn escape_text(s: &str, out: &mut Vec<u8>) {
    if !s.bytes().any(|b| matches!(b, b'&' | b'<' | b'>' | b'\r')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[last..i]);
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[last..]);
}

/// Escapes an attribute value as canonical XML does: `&`, `<`, `"`, TAB, LF and CR.
pub(crate) fn escape_attr(s: &str, out: &mut Vec<u8>) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'"' | b'\t' | b'\n' | b'\r'))
    {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[last..i]);
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[last..]);
}

/// [`canonicalize`] leaving out the subtree rooted at `exclude` (enveloped transform on a
/// same-document reference that contains the signature).
pub(crate) fn canonicalize_excluding(
    element: Node<'_, '_>,
    inclusive_prefixes: &[&str],
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), C14nError> {
    if !element.is_element() {
        return Err(C14nError::NotAnElement);
    }
    Canonicalizer::new(element.document().input_text(), inclusive_prefixes, exclude)
        .run(element, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = Vec::new();
        escape_text(s, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    fn attr(s: &str) -> String {
        let mut out = Vec::new();
        escape_attr(s, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    // C14N 1.0 §2.3 "Text Nodes" and "Attribute Nodes".
    #[test]
    fn c14n_2_3_text_escaping() {
        assert_eq!(
            text("a&b<c>d\re\"f'g\th\ni"),
            "a&amp;b&lt;c&gt;d&#xD;e\"f'g\th\ni"
        );
        assert_eq!(text("Tiếng Việt"), "Tiếng Việt");
    }

    #[test]
    fn c14n_2_3_attribute_escaping() {
        assert_eq!(
            attr("a&b<c>d\re\"f'g\th\ni"),
            "a&amp;b&lt;c>d&#xD;e&quot;f'g&#x9;h&#xA;i"
        );
    }

    #[test]
    fn short_comparisons_match_std() {
        for (a, b) in [
            ("", ""),
            ("a", ""),
            ("", "a"),
            ("ab", "a"),
            ("a", "b"),
            ("urn:x", "urn:y"),
        ] {
            assert_eq!(short_cmp(a, b), a.cmp(b));
            assert_eq!(short_eq(a, b), a == b);
        }
    }

    #[test]
    fn prefixed_and_unprefixed_names_are_read_from_source() {
        let doc = roxmltree::Document::parse("<p:a xmlns:p='u'><b/><p:c\n/></p:a>")
            .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = doc
            .descendants()
            .filter(|n| n.is_element())
            .map(|n| element_qname(doc.input_text(), n).unwrap_or_default())
            .collect();
        assert_eq!(names, ["p:a", "b", "p:c"]);
    }
}
