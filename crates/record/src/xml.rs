//! Low-level XML plumbing shared by the mapping: the strict envelope checks that run
//! before any element is mapped (size, encoding, DTD, depth, comments, processing
//! instructions, NFC), a cursor over an element's children, and the writer.
//!
//! Element *names* do not appear here; they live in [`crate::mapping`].

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use roxmltree::{Document, Node, NodeType};

use crate::error::ParseError;
use crate::{MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_NODES, NAMESPACE, XMLDSIG_NAMESPACE};

/// Runs every check that does not depend on the schema and returns the tree.
pub(crate) fn parse_tree(bytes: &[u8]) -> Result<Document<'_>, ParseError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ParseError::TooLarge {
            size: bytes.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.starts_with('\u{FEFF}') {
        return Err(ParseError::ByteOrderMark);
    }
    prescan(text)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..Default::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => ParseError::Dtd,
        roxmltree::Error::UnknownEntityReference(name, _) => ParseError::Entity { name },
        roxmltree::Error::EntityReferenceLoop(_)
        | roxmltree::Error::MalformedEntityReference(_) => ParseError::Entity {
            name: String::new(),
        },
        roxmltree::Error::NodesLimitReached => ParseError::TooManyNodes { limit: MAX_NODES },
        other => ParseError::Malformed {
            message: other.to_string(),
        },
    })?;
    check_tree(&doc)?;
    Ok(doc)
}

/// One pass over the tree: comments, processing instructions, NFC, and the depth again
/// (the streaming pass stops at the first syntax error it sees, so the tree is checked
/// too).
fn check_tree(doc: &Document<'_>) -> Result<(), ParseError> {
    // Nodes come in document order, so a parent's depth is known before its children's.
    let mut depth_of: Vec<usize> = Vec::new();
    for node in doc.descendants() {
        let parent_depth = node
            .parent()
            .and_then(|p| depth_of.get(p.id().get_usize()).copied())
            .unwrap_or(0);
        let depth = parent_depth + usize::from(node.is_element());
        let id = node.id().get_usize();
        if depth_of.len() <= id {
            depth_of.resize(id + 1, 0);
        }
        depth_of[id] = depth;
        match node.node_type() {
            NodeType::Comment => {
                return Err(ParseError::Comment {
                    path: path_of_parent(node),
                });
            }
            NodeType::PI => {
                return Err(ParseError::ProcessingInstruction {
                    path: path_of_parent(node),
                });
            }
            NodeType::Text => {
                if !unicode_normalization::is_nfc(node.text().unwrap_or_default()) {
                    return Err(ParseError::NotNfc {
                        path: path_of_parent(node),
                    });
                }
            }
            NodeType::Element => {
                if depth > MAX_DEPTH {
                    return Err(ParseError::TooDeep {
                        limit: MAX_DEPTH,
                        offset: node.range().start as u64,
                    });
                }
                if node
                    .attributes()
                    .any(|a| !unicode_normalization::is_nfc(a.value()))
                {
                    return Err(ParseError::NotNfc {
                        path: path_of(node),
                    });
                }
            }
            NodeType::Root => {}
        }
    }
    Ok(())
}

/// A streaming pass before the tree is built: rejects a DTD, a non-UTF-8 encoding
/// declaration and over-deep nesting without allocating a node per element. Syntax
/// errors are left to the tree parser, which reports them with a position.
fn prescan(text: &str) -> Result<(), ParseError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ParseError::TooDeep {
                        limit: MAX_DEPTH,
                        offset: reader.buffer_position(),
                    });
                }
            }
            Ok(Event::Empty(_)) if depth + 1 > MAX_DEPTH => {
                return Err(ParseError::TooDeep {
                    limit: MAX_DEPTH,
                    offset: reader.buffer_position(),
                });
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::DocType(_)) => return Err(ParseError::Dtd),
            Ok(Event::Decl(decl)) => {
                if let Some(Ok(encoding)) = decl.encoding()
                    && !encoding.eq_ignore_ascii_case(b"UTF-8")
                {
                    return Err(ParseError::WrongEncoding {
                        declared: String::from_utf8_lossy(&encoding).into_owned(),
                    });
                }
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// `{namespace}name`, or just `name` in the record namespace, `ds:name` for XMLDSig.
pub(crate) fn display_name(node: Node<'_, '_>) -> String {
    let tag = node.tag_name();
    match tag.namespace() {
        Some(NAMESPACE) => tag.name().to_string(),
        Some(XMLDSIG_NAMESPACE) => format!("ds:{}", tag.name()),
        Some(ns) => format!("{{{ns}}}{}", tag.name()),
        None => format!("{{}}{}", tag.name()),
    }
}

/// The element path of `node`, e.g. `/HocBa/DuLieu/KetQuaTrungHoc/MonHoc[3]/HocKy1`; the
/// 1-based index appears when an element has same-named siblings.
pub(crate) fn path_of(node: Node<'_, '_>) -> String {
    let mut parts: Vec<String> = node
        .ancestors()
        .filter(Node::is_element)
        .map(|n| {
            let name = display_name(n);
            let same = |s: &Node<'_, '_>| s.is_element() && s.tag_name() == n.tag_name();
            let before = n.prev_siblings().skip(1).filter(same).count();
            let after = n.next_siblings().skip(1).filter(same).count();
            if before + after > 0 {
                format!("{name}[{}]", before + 1)
            } else {
                name
            }
        })
        .collect();
    parts.reverse();
    if parts.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", parts.join("/"))
    }
}

fn path_of_parent(node: Node<'_, '_>) -> String {
    node.parent().map_or_else(|| "/".to_string(), path_of)
}

/// XML whitespace (S production): space, tab, CR, LF. Unicode spaces are content.
pub(crate) fn is_xml_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The element children of a node in the record namespace, consumed in schema order.
pub(crate) struct Children<'a, 'i> {
    parent: Node<'a, 'i>,
    items: Vec<Node<'a, 'i>>,
    pos: usize,
}

impl<'a, 'i> Children<'a, 'i> {
    /// Collects the children of `parent`, rejecting text, elements outside `allowed` (or
    /// outside the record namespace) and attributes on any child.
    pub(crate) fn of(parent: Node<'a, 'i>, allowed: &[&str]) -> Result<Self, ParseError> {
        let mut items = Vec::new();
        for child in parent.children() {
            match child.node_type() {
                NodeType::Text if !is_xml_whitespace(child.text().unwrap_or_default()) => {
                    return Err(ParseError::UnexpectedText {
                        path: path_of(parent),
                    });
                }
                NodeType::Element => {
                    let tag = child.tag_name();
                    if tag.namespace() != Some(NAMESPACE) || !allowed.contains(&tag.name()) {
                        return Err(ParseError::UnknownElement {
                            path: path_of(child),
                        });
                    }
                    no_attributes(child)?;
                    items.push(child);
                }
                // Comments and processing instructions were rejected by `parse_tree`.
                _ => {}
            }
        }
        Ok(Children {
            parent,
            items,
            pos: 0,
        })
    }

    /// The next child, which must be `name`.
    pub(crate) fn required(&mut self, name: &str) -> Result<Node<'a, 'i>, ParseError> {
        self.optional(name)
            .ok_or_else(|| ParseError::MissingElement {
                path: format!("{}/{name}", path_of(self.parent)),
            })
    }

    /// The next child if it is `name`.
    pub(crate) fn optional(&mut self, name: &str) -> Option<Node<'a, 'i>> {
        let node = *self.items.get(self.pos)?;
        if node.tag_name().name() == name {
            self.pos += 1;
            Some(node)
        } else {
            None
        }
    }

    /// The run of consecutive children named `name` (possibly empty).
    pub(crate) fn repeated(&mut self, name: &str) -> Vec<Node<'a, 'i>> {
        std::iter::from_fn(|| self.optional(name)).collect()
    }

    /// Fails if a child was not consumed (a known element out of order or repeated).
    pub(crate) fn finish(self) -> Result<(), ParseError> {
        match self.items.get(self.pos) {
            Some(node) => Err(ParseError::UnexpectedElement {
                path: path_of(*node),
            }),
            None => Ok(()),
        }
    }
}

/// Rejects any attribute on `node`.
pub(crate) fn no_attributes(node: Node<'_, '_>) -> Result<(), ParseError> {
    match node.attributes().next() {
        Some(attr) => Err(ParseError::UnknownAttribute {
            path: path_of(node),
            name: attribute_name(&attr),
        }),
        None => Ok(()),
    }
}

/// `name` or `{namespace}name`.
pub(crate) fn attribute_name(attr: &roxmltree::Attribute<'_, '_>) -> String {
    match attr.namespace() {
        Some(ns) => format!("{{{ns}}}{}", attr.name()),
        None => attr.name().to_string(),
    }
}

/// The text content of a leaf element (no child elements).
pub(crate) fn leaf_text(node: Node<'_, '_>) -> Result<String, ParseError> {
    let mut text = String::new();
    for child in node.children() {
        match child.node_type() {
            NodeType::Text => text.push_str(child.text().unwrap_or_default()),
            NodeType::Element => {
                return Err(ParseError::UnknownElement {
                    path: path_of(child),
                });
            }
            _ => {}
        }
    }
    Ok(text)
}

/// The XML writer: UTF-8, no BOM, two-space indentation, elements only (no mixed content),
/// so that the same record always gives the same bytes.
pub(crate) struct Out {
    writer: quick_xml::Writer<Vec<u8>>,
}

/// Invariant: the sink is a `Vec<u8>`, whose `io::Write` never fails, and quick-xml's
/// writer returns no error of its own; so no write below can fail.
fn infallible(result: std::io::Result<()>) {
    if let Err(e) = result {
        unreachable!("writing XML to a Vec<u8> failed: {e}");
    }
}

impl Out {
    /// A writer that has written the XML declaration.
    pub(crate) fn new() -> Self {
        let mut writer = quick_xml::Writer::new_with_indent(Vec::with_capacity(16 * 1024), b' ', 2);
        infallible(writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
        Out { writer }
    }

    /// `<name attr="value" …>`.
    pub(crate) fn open_with(&mut self, name: &str, attributes: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for &attr in attributes {
            start.push_attribute(attr);
        }
        infallible(self.writer.write_event(Event::Start(start)));
    }

    /// `<name>`.
    pub(crate) fn open(&mut self, name: &str) {
        self.open_with(name, &[]);
    }

    /// `</name>`.
    pub(crate) fn close(&mut self, name: &str) {
        infallible(self.writer.write_event(Event::End(BytesEnd::new(name))));
    }

    /// `<name/>`.
    pub(crate) fn empty(&mut self, name: &str) {
        infallible(self.writer.write_event(Event::Empty(BytesStart::new(name))));
    }

    /// `<name>text</name>` with the text escaped.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        infallible(
            self.writer
                .create_element(name)
                .write_text_content(BytesText::new(text))
                .map(|_| ()),
        );
    }

    /// The document bytes, ending with a line feed.
    pub(crate) fn finish(self) -> Vec<u8> {
        let mut bytes = self.writer.into_inner();
        bytes.push(b'\n');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_depth_is_checked_after_parsing_too() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        let doc = Document::parse(&deep).unwrap();
        assert!(matches!(check_tree(&doc), Err(ParseError::TooDeep { .. })));
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert_eq!(check_tree(&Document::parse(&ok).unwrap()), Ok(()));
    }

    #[test]
    fn paths_index_same_named_siblings() {
        let doc =
            Document::parse("<r xmlns='urn:hocba:record:1'><a/><b><c/></b><b><c/><c/></b></r>")
                .unwrap();
        let paths: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("c"))
            .map(path_of)
            .collect();
        assert_eq!(paths, ["/r/b[1]/c", "/r/b[2]/c[1]", "/r/b[2]/c[2]"]);
    }
}
