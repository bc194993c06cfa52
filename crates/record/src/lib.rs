#![doc = include_str!("../README.md")]

mod build;
pub mod chain;
mod check;
mod error;
pub mod examples;
pub mod labels;
pub mod mapping;
mod model;
pub mod text;
mod xml;

pub use build::{
    BuildError, InputMarks, Mismatch, PrimaryInput, SecondaryInput, SubjectInput, build_primary,
    build_secondary, promotion, recompute_check,
};
pub use chain::{SignerRole, default_chain, default_chain_codes};
pub use check::{Inconsistency, SigningBlocker, rule_fits_level};
pub use error::ParseError;
pub use labels::{Promotion, UnknownLabel};
pub use mapping::SignatureSlot;
pub use model::{
    Absences, Class, CommentedSubject, Dated, PrimaryPeriod, PrimaryResults, PrimarySubject, Rated,
    Record, Results, School, ScoredSemester, ScoredSubject, SecondaryResults, SecondarySubject,
    Student, SubjectAssessment, Supersedes, Terms,
};
pub use text::{Code, RecordId, Sha256Digest, Text, TextError};

/// The XML namespace of schema v1.
pub const NAMESPACE: &str = "urn:hocba:record:1";
/// The XMLDSig namespace of the `ds:Signature` elements inside `ChuKySo`.
pub const XMLDSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Local name of the signed data element (in [`NAMESPACE`]).
pub const DATA_ELEMENT: &str = mapping::names::DATA;
/// Local name of the element holding the signatures (in [`NAMESPACE`]).
pub const SIGNATURES_ELEMENT: &str = mapping::names::SIGNATURES;
/// The `Id` of the data element `DuLieu`, which every signature references as `#data`.
pub const DATA_ID: &str = "data";
/// The schema version written in `PhienBanLuocDo`.
pub const SCHEMA_VERSION: &str = "1";
/// The largest document the parser reads (2 MiB), checked before parsing.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;
/// The deepest element nesting the parser accepts, checked before the tree is built.
pub const MAX_DEPTH: usize = 32;
/// The most XML nodes the parser builds.
pub const MAX_NODES: u32 = 200_000;
/// The XSD of schema v1 (`schema/hocba-v1.xsd`).
pub const XSD: &str = include_str!("../schema/hocba-v1.xsd");

/// A parsed document: the record and the (unverified) signatures found in `ChuKySo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The record data from `DuLieu`.
    pub record: Record,
    /// One entry per `ds:Signature` in `ChuKySo`, in document order. The record crate
    /// checks nothing inside them; the xmldsig crate verifies them.
    pub signatures: Vec<SignatureSlot>,
}

/// Parses a document strictly (see the crate documentation for every rule), signed or
/// not, and returns its record and signature slots.
pub fn parse_document(bytes: &[u8]) -> Result<Document, ParseError> {
    let tree = xml::parse_tree(bytes)?;
    let (record, signatures) = mapping::read_document(&tree)?;
    Ok(Document { record, signatures })
}

/// Adds one signature element at the end of `ChuKySo`, leaving every other byte of the
/// document as it was (so `DuLieu` and the earlier signatures keep their digests).
///
/// `document` must parse ([`parse_document`]); `signature` must be one `ds:Signature`
/// element that declares its own `xmlns:ds`. The result is parsed again and must hold
/// exactly one more signature. No whitespace is added around the new element.
pub fn append_signature(document: &[u8], signature: &str) -> Result<Vec<u8>, ParseError> {
    let before = parse_document(document)?.signatures.len();
    let tree = xml::parse_tree(document)?;
    let Some(slot) = tree
        .root_element()
        .children()
        .filter(roxmltree::Node::is_element)
        .nth(1)
    else {
        return Err(ParseError::MissingElement {
            path: "/HocBa/ChuKySo".to_string(),
        });
    };
    let range = slot.range();
    let text = &tree.input_text()[range.clone()];
    let mut out = Vec::with_capacity(document.len() + signature.len() + 32);
    out.extend_from_slice(&document[..range.start]);
    if let Some(close) = text.rfind("</") {
        out.extend_from_slice(&text.as_bytes()[..close]);
        out.extend_from_slice(signature.as_bytes());
        out.extend_from_slice(&text.as_bytes()[close..]);
    } else {
        // An empty element `<ChuKySo/>` (possibly with a prefix or spaces): reopen it.
        let start = text.trim_end_matches('>').trim_end_matches('/').trim_end();
        let qname = start
            .trim_start_matches('<')
            .split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or_default();
        out.extend_from_slice(start.as_bytes());
        out.push(b'>');
        out.extend_from_slice(signature.as_bytes());
        out.extend_from_slice(format!("</{qname}>").as_bytes());
    }
    out.extend_from_slice(&document[range.end..]);
    let after = parse_document(&out)?.signatures.len();
    if after != before + 1 {
        return Err(ParseError::StraySignatureContent {
            path: "/HocBa/ChuKySo".to_string(),
            found: format!(
                "{} signature elements added instead of one",
                after.saturating_sub(before)
            ),
        });
    }
    Ok(out)
}

impl Record {
    /// The unsigned document (`<ChuKySo/>` empty): UTF-8, NFC, deterministic (the same
    /// record always gives the same bytes).
    pub fn to_xml(&self) -> Vec<u8> {
        mapping::write_record(self)
    }

    /// Parses a document strictly and returns its record, ignoring (but requiring well-
    /// formed) signatures. Same as [`parse_document`] without the signature slots.
    pub fn from_xml(bytes: &[u8]) -> Result<Record, ParseError> {
        parse_document(bytes).map(|d| d.record)
    }
}
