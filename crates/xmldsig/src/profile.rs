//! Parsing under the strict profile: size, encoding, DTD, depth, identifiers, layout.

use std::collections::HashMap;

use roxmltree::{Document, Node, NodeType};

use crate::c14n::is_id_attr_name;
use crate::error::VerifyError;

/// Resource limits applied before and while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum document size in bytes (default 4 MiB).
    pub max_bytes: usize,
    /// Maximum element nesting depth, the document element being depth 1 (default 64).
    pub max_depth: usize,
    /// Maximum number of nodes of any kind (default 1,000,000).
    pub max_nodes: u32,
    /// Maximum number of `ds:Signature` elements (default 32).
    pub max_signatures: usize,
    /// Maximum number of references per signature (default 64); with the previous limit
    /// this bounds the canonicalization work of `URI=""` references, which cannot share
    /// a cache because each excludes its own signature.
    pub max_references: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 1_000_000,
            max_signatures: 32,
            max_references: 64,
        }
    }
}

/// Checks size and encoding, then parses with DTDs refused.
pub(crate) fn parse<'i>(bytes: &'i [u8], limits: &Limits) -> Result<Document<'i>, VerifyError> {
    if bytes.len() > limits.max_bytes {
        return Err(VerifyError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| VerifyError::NotUtf8)?;
    // roxmltree accepts an encoding="…" declaration it cannot honour as long as the bytes
    // are UTF-8; a declared non-UTF-8 encoding is refused so signer and verifier agree.
    if let Some(decl) = text
        .strip_prefix("<?xml")
        .and_then(|r| r.split("?>").next())
        && let Some(enc) = decl.split("encoding").nth(1)
    {
        let value: String = enc
            .chars()
            .skip_while(|c| *c != '"' && *c != '\'')
            .skip(1)
            .take_while(|c| *c != '"' && *c != '\'')
            .collect();
        if !value.eq_ignore_ascii_case("utf-8") {
            return Err(VerifyError::NotUtf8);
        }
    }
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        ..Default::default()
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| match e {
        roxmltree::Error::DtdDetected => VerifyError::DtdForbidden,
        roxmltree::Error::NodesLimitReached => VerifyError::TooManyNodes {
            limit: limits.max_nodes,
        },
        other => VerifyError::MalformedXml(other.to_string()),
    })?;
    // roxmltree tolerates an empty `<!DOCTYPE x>`; the profile allows no DOCTYPE at all.
    if text[..doc.root_element().range().start].contains("<!DOCTYPE") {
        return Err(VerifyError::DtdForbidden);
    }
    Ok(doc)
}

/// What one pass over the whole document learned.
pub(crate) struct Scan<'a, 'i> {
    /// Every identifier and the element carrying it (unique by construction).
    pub ids: HashMap<&'a str, Node<'a, 'i>>,
}

/// One pass: depth limit, no comments/PIs inside the document element, unique ids.
pub(crate) fn scan<'a, 'i>(
    doc: &'a Document<'i>,
    limits: &Limits,
) -> Result<Scan<'a, 'i>, VerifyError> {
    let mut ids: HashMap<&'a str, Node<'a, 'i>> = HashMap::new();
    // Node ids follow document order and a parent precedes its children, so one
    // forward pass fills every element's depth from its parent's.
    let mut depths: Vec<u32> = Vec::new();
    let max = u32::try_from(limits.max_depth).unwrap_or(u32::MAX);
    for n in doc.root().descendants() {
        let idx = n.id().get_usize();
        if depths.len() <= idx {
            depths.resize(idx + 1, 0);
        }
        let parent_depth = n
            .parent()
            .map_or(0, |p| depths.get(p.id().get_usize()).copied().unwrap_or(0));
        match n.node_type() {
            NodeType::Element => {
                let d = parent_depth + 1;
                if d > max {
                    return Err(VerifyError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                depths[idx] = d;
                for a in n.attributes() {
                    if is_id_attr_name(a.name()) && ids.insert(a.value(), n).is_some() {
                        return Err(VerifyError::DuplicateId {
                            id: a.value().to_owned(),
                        });
                    }
                }
            }
            NodeType::Comment | NodeType::PI if parent_depth > 0 => {
                return Err(VerifyError::CommentOrPi {
                    offset: n.range().start,
                });
            }
            _ => {}
        }
    }
    Ok(Scan { ids })
}

/// Whether `node` is an element with this expanded name ("" = no namespace).
pub(crate) fn is_named(node: Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == local
        && node.tag_name().namespace().unwrap_or("") == ns
}

/// Whether a text node is only XML whitespace.
pub(crate) fn is_blank(node: Node<'_, '_>) -> bool {
    node.text()
        .is_some_and(|t| t.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')))
}

/// An identifier we are willing to write into a `URI="#…"`: an ASCII NCName.
pub(crate) fn is_safe_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
