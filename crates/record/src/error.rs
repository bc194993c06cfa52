//! Why a document is not a valid schema-v1 record.

/// A rejection by the strict parser ([`crate::parse_document`]). Every variant names where the
/// problem is (an element path such as `/HocBa/DuLieu/HocSinh/HoVaTen`, or a byte count)
/// and has a stable machine-readable [`code`](ParseError::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The document is larger than the size limit (checked before parsing).
    #[error("document is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit ([`crate::MAX_DOCUMENT_BYTES`]).
        limit: usize,
    },
    /// Elements are nested deeper than the depth limit (checked before building the tree).
    #[error("elements nested deeper than {limit} levels (at byte {offset})")]
    TooDeep {
        /// The limit ([`crate::MAX_DEPTH`]).
        limit: usize,
        /// Byte offset where the limit was passed.
        offset: u64,
    },
    /// The document has more nodes than the node limit.
    #[error("document has more than {limit} nodes")]
    TooManyNodes {
        /// The limit ([`crate::MAX_NODES`]).
        limit: u32,
    },
    /// The bytes are not UTF-8.
    #[error("document is not valid UTF-8 (byte {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The document starts with a byte-order mark (the writer never emits one).
    #[error("document starts with a byte-order mark")]
    ByteOrderMark,
    /// The XML declaration names an encoding other than UTF-8.
    #[error("document declares encoding {declared:?}; only UTF-8 is accepted")]
    WrongEncoding {
        /// The declared encoding.
        declared: String,
    },
    /// The document has a document type declaration (DTD).
    #[error("document type declarations (DTD) are not allowed")]
    Dtd,
    /// The document refers to an entity other than the five predefined ones.
    #[error("entity reference {name:?} is not allowed")]
    Entity {
        /// The entity name (may be empty when the parser did not report it).
        name: String,
    },
    /// A processing instruction other than the XML declaration.
    #[error("processing instruction at {path} is not allowed")]
    ProcessingInstruction {
        /// Where it is.
        path: String,
    },
    /// A comment (comments are never part of a record).
    #[error("comment at {path} is not allowed")]
    Comment {
        /// Where it is.
        path: String,
    },
    /// The text is not well-formed XML.
    #[error("not well-formed XML: {message}")]
    Malformed {
        /// The XML parser's message, with line and column.
        message: String,
    },
    /// A text or attribute value is not in Unicode NFC.
    #[error("text at {path} is not in Unicode NFC")]
    NotNfc {
        /// Where it is.
        path: String,
    },
    /// The root element is not `HocBa` in the record namespace.
    #[error("root element is {found}, expected {{urn:hocba:record:1}}HocBa")]
    WrongRoot {
        /// The root element found, as `{namespace}name`.
        found: String,
    },
    /// An element that schema v1 does not define at that place.
    #[error("unknown element {path}")]
    UnknownElement {
        /// The element's path (with its namespace when it is not the record namespace).
        path: String,
    },
    /// A known element at the wrong place (out of order, or repeated).
    #[error("element {path} is out of place")]
    UnexpectedElement {
        /// The element's path.
        path: String,
    },
    /// A required element is missing.
    #[error("missing element {path}")]
    MissingElement {
        /// The path the element should have.
        path: String,
    },
    /// An attribute that schema v1 does not define.
    #[error("unknown attribute {name:?} on {path}")]
    UnknownAttribute {
        /// The element's path.
        path: String,
        /// The attribute name (`{namespace}name` when namespaced).
        name: String,
    },
    /// A required attribute is missing (`DuLieu/@Id`).
    #[error("missing attribute {name:?} on {path}")]
    MissingAttribute {
        /// The element's path.
        path: String,
        /// The attribute name.
        name: &'static str,
    },
    /// Text where only elements may appear.
    #[error("unexpected text in {path}")]
    UnexpectedText {
        /// The element's path.
        path: String,
    },
    /// Something other than `ds:Signature` elements inside `ChuKySo`.
    #[error("only ds:Signature elements may appear in ChuKySo; found {found} at {path}")]
    StraySignatureContent {
        /// Where it is.
        path: String,
        /// What was found (element name or `text`).
        found: String,
    },
    /// A score (input or computed) that is not a valid value: above 10, more than one
    /// decimal, not in the canonical form.
    #[error("invalid score {value:?} at {path}: {reason}")]
    InvalidScore {
        /// The element's path.
        path: String,
        /// The text found.
        value: String,
        /// Why it is not valid.
        reason: String,
    },
    /// Any other value that does not parse into its type (date, code, label, id…).
    #[error("invalid value {value:?} at {path}: {reason}")]
    InvalidValue {
        /// The element's path.
        path: String,
        /// The text found.
        value: String,
        /// Why it is not valid.
        reason: String,
    },
    /// Values that parse one by one but contradict each other (grade outside the level,
    /// results of the wrong level, ThayThe on version 1…).
    #[error("inconsistent record at {path}: {reason}")]
    Inconsistent {
        /// The element the problem is about.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl ParseError {
    /// A stable code for machines (registry reject reasons, logs, tests).
    pub const fn code(&self) -> &'static str {
        match self {
            ParseError::TooLarge { .. } => "too-large",
            ParseError::TooDeep { .. } => "too-deep",
            ParseError::TooManyNodes { .. } => "too-many-nodes",
            ParseError::NotUtf8 { .. } => "not-utf8",
            ParseError::ByteOrderMark => "byte-order-mark",
            ParseError::WrongEncoding { .. } => "wrong-encoding",
            ParseError::Dtd => "dtd",
            ParseError::Entity { .. } => "entity",
            ParseError::ProcessingInstruction { .. } => "processing-instruction",
            ParseError::Comment { .. } => "comment",
            ParseError::Malformed { .. } => "malformed",
            ParseError::NotNfc { .. } => "not-nfc",
            ParseError::WrongRoot { .. } => "wrong-root",
            ParseError::UnknownElement { .. } => "unknown-element",
            ParseError::UnexpectedElement { .. } => "unexpected-element",
            ParseError::MissingElement { .. } => "missing-element",
            ParseError::UnknownAttribute { .. } => "unknown-attribute",
            ParseError::MissingAttribute { .. } => "missing-attribute",
            ParseError::UnexpectedText { .. } => "unexpected-text",
            ParseError::StraySignatureContent { .. } => "stray-signature-content",
            ParseError::InvalidScore { .. } => "invalid-score",
            ParseError::InvalidValue { .. } => "invalid-value",
            ParseError::Inconsistent { .. } => "inconsistent",
        }
    }

    /// The element path the error is about, when it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            ParseError::ProcessingInstruction { path }
            | ParseError::Comment { path }
            | ParseError::NotNfc { path }
            | ParseError::UnknownElement { path }
            | ParseError::UnexpectedElement { path }
            | ParseError::MissingElement { path }
            | ParseError::UnknownAttribute { path, .. }
            | ParseError::MissingAttribute { path, .. }
            | ParseError::UnexpectedText { path }
            | ParseError::StraySignatureContent { path, .. }
            | ParseError::InvalidScore { path, .. }
            | ParseError::InvalidValue { path, .. }
            | ParseError::Inconsistent { path, .. } => Some(path),
            _ => None,
        }
    }
}
