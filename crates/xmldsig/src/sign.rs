//! Adding the next signature of the ordered chain, in one step ([`sign_next`]) or two
//! ([`prepare_next_signature`] then [`Prepared::finish`]) for remote signing.

use aws_lc_rs::digest;
use aws_lc_rs::signature::UnparsedPublicKey;
use base64::Engine as _;
use roxmltree::{Document, Node};

use crate::c14n::{self, element_qname, escape_text};
use crate::error::{SignError, VerifyError};
use crate::profile::{self, Limits, is_blank, is_named, is_safe_id};
use crate::signer::{SignatureAlgorithm, Signer};
use crate::{DSIG_NS, EXC_C14N, PROPS_NS, SHA256};

/// Where the record data and the signatures sit in a document (DESIGN.md §4).
///
/// Contract: the data element and the container are both children of the document
/// element, the data element first, and they are its only element children. The data
/// element carries an `Id`; the container holds only `ds:Signature` elements with Ids
/// `sig1`, `sig2`, … in document order. Names are `(namespace URI, local name)`, with
/// `""` for "no namespace".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLayout {
    /// The signed data element, e.g. `("urn:hocba:record:1", "DuLieu")`.
    pub data_element: (String, String),
    /// The signatures container, e.g. `("urn:hocba:record:1", "ChuKySo")`.
    pub container: (String, String),
}

impl ChainLayout {
    /// A layout from the two expanded names.
    pub fn new(data_ns: &str, data_local: &str, container_ns: &str, container_local: &str) -> Self {
        ChainLayout {
            data_element: (data_ns.to_owned(), data_local.to_owned()),
            container: (container_ns.to_owned(), container_local.to_owned()),
        }
    }

    fn data_name(&self) -> String {
        format!("{{{}}}{}", self.data_element.0, self.data_element.1)
    }

    fn container_name(&self) -> String {
        format!("{{{}}}{}", self.container.0, self.container.1)
    }
}

/// Signed signature properties (XAdES-style), carried in the signature's own
/// `ds:Object Id="sigN-props"` in namespace `urn:hocba:sig:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureProperties {
    /// Signing time, Unix seconds, supplied by the caller (the crate reads no clock);
    /// written as `xs:dateTime` in UTC.
    pub signing_time: i64,
    /// Signer role in the chain, e.g. `GVCN` (homeroom teacher), `HT` (principal), `DAU` (seal).
    pub role: String,
    /// Signer's display name, if wanted in the signed properties.
    pub signer_name: Option<String>,
}

/// A signature ready for its value: the canonical `SignedInfo` and its SHA-256 digest
/// go to the signer (possibly remote); [`Prepared::finish`] splices the result in.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The canonical `SignedInfo` octets — what [`Signer::sign`] receives.
    pub signed_info_c14n: Vec<u8>,
    /// SHA-256 of `signed_info_c14n`, for services that sign a digest.
    pub digest_to_sign: [u8; 32],
    /// Id of the new signature (`sigN`).
    pub signature_id: String,
    /// The algorithm the signature value must use.
    pub algorithm: SignatureAlgorithm,
    head: Vec<u8>,
    tail: Vec<u8>,
    public_key: Vec<u8>,
}

impl Prepared {
    /// Inserts `signature_value` (raw PKCS#1 v1.5 bytes for RSA; for ECDSA the 64-byte
    /// `r || s` form, or a DER `ECDSA-Sig-Value` which is converted, since the document
    /// always carries `r || s`) and returns the signed document. The value is checked against
    /// the signer certificate first, so a wrong remote answer never yields a document.
    ///
    /// # Errors
    /// [`SignError::SignatureValueInvalid`] if the value does not verify.
    pub fn finish(self, signature_value: &[u8]) -> Result<Vec<u8>, SignError> {
        let converted;
        let signature_value = if self.algorithm == SignatureAlgorithm::EcdsaP256Sha256
            && signature_value.len() != 64
        {
            converted =
                ecdsa_der_to_fixed(signature_value).ok_or(SignError::SignatureValueInvalid)?;
            &converted[..]
        } else {
            signature_value
        };
        UnparsedPublicKey::new(self.algorithm.verification(), &self.public_key)
            .verify(&self.signed_info_c14n, signature_value)
            .map_err(|_| SignError::SignatureValueInvalid)?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(signature_value);
        let mut out = Vec::with_capacity(self.head.len() + b64.len() + self.tail.len());
        out.extend_from_slice(&self.head);
        out.extend_from_slice(b64.as_bytes());
        out.extend_from_slice(&self.tail);
        Ok(out)
    }
}

/// Adds the next signature of the chain with `signer`: the same as
/// [`prepare_next_signature`] with the signer's chain and algorithm, then
/// [`Prepared::finish`] with [`Signer::sign`] over the canonical `SignedInfo`.
///
/// # Errors
/// See [`prepare_next_signature`]; [`SignError::Signer`] if the signer fails.
pub fn sign_next(
    doc: &[u8],
    layout: &ChainLayout,
    signer: &dyn Signer,
    props: &SignatureProperties,
) -> Result<Vec<u8>, SignError> {
    let prepared = prepare_next_signature(
        doc,
        layout,
        signer.certificate_chain(),
        signer.algorithm(),
        props,
    )?;
    let value = signer.sign(&prepared.signed_info_c14n)?;
    prepared.finish(&value)
}

/// Prepares signature *k* = (number of signatures present) + 1: references to the data
/// element, to every earlier signature `#sig1..#sig(k-1)` and to its own properties,
/// each with exclusive C14N and SHA-256; `KeyInfo/X509Data` with `chain` (DER, signer
/// first). The document is not re-serialised: the signature is spliced in as the last
/// child of the container, so earlier signatures stay byte for byte.
///
/// Earlier signatures are *not* verified here; callers verify before signing.
///
/// Deterministic: the same inputs always give the same `SignedInfo`, so a server waiting
/// minutes for a phone-based signing service may drop the [`Prepared`] and rebuild it
/// from the stored document and properties when the signature value arrives.
///
/// # Errors
/// [`SignError::InvalidDocument`] if the document breaks the profile or layout,
/// [`SignError::InvalidProperty`], [`SignError::BadCertificate`],
/// [`SignError::AlgorithmMismatch`].
pub fn prepare_next_signature(
    doc: &[u8],
    layout: &ChainLayout,
    chain: &[Vec<u8>],
    algorithm: SignatureAlgorithm,
    props: &SignatureProperties,
) -> Result<Prepared, SignError> {
    let limits = Limits::default();
    let leaf = chain
        .first()
        .ok_or_else(|| SignError::BadCertificate("empty chain".into()))?;
    let parsed = crate::der::parse_certificate(leaf)
        .map_err(|e| SignError::BadCertificate(e.to_string()))?;
    if parsed.key_kind != algorithm.key_kind() {
        return Err(SignError::AlgorithmMismatch);
    }
    let time = crate::time::format_utc(props.signing_time)
        .ok_or_else(|| SignError::InvalidProperty("signing time out of range".into()))?;
    check_text(&props.role, "role")?;
    if props.role.is_empty() {
        return Err(SignError::InvalidProperty("role is empty".into()));
    }
    if let Some(n) = &props.signer_name {
        check_text(n, "signer name")?;
    }

    let document = profile::parse(doc, &limits).map_err(SignError::InvalidDocument)?;
    let scan = profile::scan(&document, &limits).map_err(SignError::InvalidDocument)?;
    let located = locate(&document, layout).map_err(SignError::InvalidDocument)?;
    let k = located.signatures.len() + 1;
    let sig_id = format!("sig{k}");
    let props_id = format!("sig{k}-props");
    for id in [&sig_id, &props_id] {
        if scan.ids.contains_key(id.as_str()) {
            return Err(SignError::InvalidDocument(VerifyError::DuplicateId {
                id: id.clone(),
            }));
        }
    }

    // Digests of the data element and of each earlier signature.
    let mut buf = Vec::with_capacity(doc.len());
    let mut references: Vec<(String, [u8; 32])> = Vec::with_capacity(k + 1);
    references.push((
        format!("#{}", located.data_id),
        subtree_digest(located.data, &mut buf)?,
    ));
    for (j, sig) in located.signatures.iter().enumerate() {
        references.push((format!("#sig{}", j + 1), subtree_digest(*sig, &mut buf)?));
    }

    // The properties object, written canonically so its digest is that of its text.
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert_digest = b64.encode(digest::digest(&digest::SHA256, leaf));
    let mut props_inner = Vec::new();
    props_inner.extend_from_slice(b"<hs:SignatureProperties xmlns:hs=\"");
    props_inner.extend_from_slice(PROPS_NS.as_bytes());
    props_inner.extend_from_slice(b"\"><hs:SigningTime>");
    props_inner.extend_from_slice(time.as_bytes());
    props_inner.extend_from_slice(b"</hs:SigningTime><hs:Role>");
    escape_text(&props.role, &mut props_inner);
    props_inner.extend_from_slice(b"</hs:Role>");
    if let Some(name) = &props.signer_name {
        props_inner.extend_from_slice(b"<hs:SignerName>");
        escape_text(name, &mut props_inner);
        props_inner.extend_from_slice(b"</hs:SignerName>");
    }
    props_inner.extend_from_slice(b"<hs:CertDigest>");
    props_inner.extend_from_slice(cert_digest.as_bytes());
    props_inner.extend_from_slice(b"</hs:CertDigest></hs:SignatureProperties></ds:Object>");
    let object_open = format!("<ds:Object Id=\"{props_id}\">");
    let object_c14n_open = format!("<ds:Object xmlns:ds=\"{DSIG_NS}\" Id=\"{props_id}\">");
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(object_c14n_open.as_bytes());
    ctx.update(&props_inner);
    references.push((format!("#{props_id}"), to32(ctx.finish())));

    // SignedInfo, canonical by construction (explicit end tags, attributes in order).
    let mut si_inner = String::with_capacity(300 * references.len());
    si_inner.push_str(&format!(
        "<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod>\
         <ds:SignatureMethod Algorithm=\"{}\"></ds:SignatureMethod>",
        algorithm.uri()
    ));
    for (uri, d) in &references {
        si_inner.push_str(&format!(
            "<ds:Reference URI=\"{uri}\"><ds:Transforms><ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform>\
             </ds:Transforms><ds:DigestMethod Algorithm=\"{SHA256}\"></ds:DigestMethod>\
             <ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
            b64.encode(d)
        ));
    }
    si_inner.push_str("</ds:SignedInfo>");
    let signed_info_c14n = format!("<ds:SignedInfo xmlns:ds=\"{DSIG_NS}\">{si_inner}").into_bytes();
    let digest_to_sign = to32(digest::digest(&digest::SHA256, &signed_info_c14n));

    // Splice point: just before the container's end tag (or expand `<C/>`).
    let text = document.input_text();
    let range = located.container.range();
    let (mut head, tail_suffix): (Vec<u8>, Vec<u8>) = if text[..range.end].ends_with("/>") {
        let qname = element_qname(text, located.container).map_err(c14n_internal)?;
        let mut h = text.as_bytes()[..range.end - 2].to_vec();
        h.push(b'>');
        let mut t = format!("</{qname}>").into_bytes();
        t.extend_from_slice(&text.as_bytes()[range.end..]);
        (h, t)
    } else {
        let at = text[..range.end]
            .rfind("</")
            .ok_or_else(|| c14n_internal(c14n::C14nError::BadSourceRange(range.start)))?;
        (
            text.as_bytes()[..at].to_vec(),
            text.as_bytes()[at..].to_vec(),
        )
    };
    head.extend_from_slice(
        format!("<ds:Signature xmlns:ds=\"{DSIG_NS}\" Id=\"{sig_id}\"><ds:SignedInfo>").as_bytes(),
    );
    head.extend_from_slice(si_inner.as_bytes());
    head.extend_from_slice(b"<ds:SignatureValue>");

    let mut tail = Vec::with_capacity(tail_suffix.len() + 2048 * chain.len());
    tail.extend_from_slice(b"</ds:SignatureValue><ds:KeyInfo><ds:X509Data>");
    for cert in chain {
        tail.extend_from_slice(b"<ds:X509Certificate>");
        tail.extend_from_slice(b64.encode(cert).as_bytes());
        tail.extend_from_slice(b"</ds:X509Certificate>");
    }
    tail.extend_from_slice(b"</ds:X509Data></ds:KeyInfo>");
    tail.extend_from_slice(object_open.as_bytes());
    tail.extend_from_slice(&props_inner);
    tail.extend_from_slice(b"</ds:Signature>");
    tail.extend_from_slice(&tail_suffix);

    Ok(Prepared {
        signed_info_c14n,
        digest_to_sign,
        signature_id: sig_id,
        algorithm,
        head,
        tail,
        public_key: parsed.public_key.to_vec(),
    })
}

/// The data element, its Id and the signatures found by following a [`ChainLayout`].
pub(crate) struct Located<'a, 'i> {
    pub data: Node<'a, 'i>,
    pub data_id: &'a str,
    pub container: Node<'a, 'i>,
    pub signatures: Vec<Node<'a, 'i>>,
}

/// Finds the data element and container where the layout says, checks that nothing else
/// sits beside them, and that the container holds only `ds:Signature`s with Ids
/// `sig1…sigN` in order.
pub(crate) fn locate<'a, 'i>(
    doc: &'a Document<'i>,
    layout: &ChainLayout,
) -> Result<Located<'a, 'i>, VerifyError> {
    let root = doc.root_element();
    let (dns, dlocal) = (&layout.data_element.0, &layout.data_element.1);
    let (cns, clocal) = (&layout.container.0, &layout.container.1);
    let mut data = None;
    let mut container = None;
    for child in root.children() {
        if child.is_text() {
            if !is_blank(child) {
                return Err(VerifyError::UnexpectedContent {
                    what: "text beside the data element".into(),
                });
            }
            continue;
        }
        if !child.is_element() {
            continue;
        }
        if is_named(child, dns, dlocal) {
            if data.is_some() {
                return Err(VerifyError::DuplicateDataElement {
                    name: layout.data_name(),
                });
            }
            if container.is_some() {
                return Err(VerifyError::UnexpectedContent {
                    what: "data element after the signatures".into(),
                });
            }
            data = Some(child);
        } else if is_named(child, cns, clocal) {
            if container.is_some() {
                return Err(VerifyError::MissingContainer {
                    name: layout.container_name(),
                });
            }
            container = Some(child);
        } else {
            return Err(VerifyError::UnexpectedContent {
                what: format!(
                    "element {:?} beside the data element",
                    child.tag_name().name()
                ),
            });
        }
    }
    let data = data.ok_or_else(|| VerifyError::MissingDataElement {
        name: layout.data_name(),
    })?;
    let container = container.ok_or_else(|| VerifyError::MissingContainer {
        name: layout.container_name(),
    })?;
    // The data element's name anywhere else (e.g. a copy wrapped in an Object) is an
    // XSW attempt even when its Id differs.
    if doc
        .descendants()
        .any(|n| n != data && is_named(n, dns, dlocal))
    {
        return Err(VerifyError::DuplicateDataElement {
            name: layout.data_name(),
        });
    }
    let data_id = data
        .attribute("Id")
        .filter(|id| is_safe_id(id))
        .ok_or(VerifyError::MissingDataId)?;

    let mut signatures = Vec::new();
    for child in container.children() {
        if child.is_text() {
            if !is_blank(child) {
                return Err(VerifyError::UnexpectedContent {
                    what: "text between signatures".into(),
                });
            }
            continue;
        }
        if !child.is_element() {
            continue;
        }
        if !is_named(child, DSIG_NS, "Signature") {
            return Err(VerifyError::UnexpectedContent {
                what: format!(
                    "element {:?} in the signatures container",
                    child.tag_name().name()
                ),
            });
        }
        let expected = format!("sig{}", signatures.len() + 1);
        let found = child.attribute("Id").unwrap_or("");
        if found != expected {
            return Err(VerifyError::SignatureOutOfOrder {
                position: signatures.len() + 1,
                expected,
                found: found.to_owned(),
            });
        }
        signatures.push(child);
    }
    Ok(Located {
        data,
        data_id,
        container,
        signatures,
    })
}

fn subtree_digest(node: Node<'_, '_>, buf: &mut Vec<u8>) -> Result<[u8; 32], SignError> {
    buf.clear();
    c14n::canonicalize(node, &[], buf).map_err(c14n_internal)?;
    Ok(to32(digest::digest(&digest::SHA256, buf)))
}

fn c14n_internal(e: c14n::C14nError) -> SignError {
    SignError::InvalidDocument(match e {
        c14n::C14nError::NamespaceUriNeedsEscaping(uri) => {
            VerifyError::UnsupportedNamespaceUri { uri }
        }
        other => VerifyError::MalformedXml(other.to_string()),
    })
}

/// Copies a SHA-256 digest into an array. Invariant: only SHA-256 digests (32 bytes)
/// are passed, so the copy cannot panic.
pub(crate) fn to32(d: digest::Digest) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Converts a DER `SEQUENCE { r INTEGER, s INTEGER }` into the 64-byte `r || s` form.
fn ecdsa_der_to_fixed(der: &[u8]) -> Option<[u8; 64]> {
    let (&0x30, rest) = der.split_first()? else {
        return None;
    };
    let (&len, body) = rest.split_first()?;
    if usize::from(len) != body.len() || len >= 0x80 {
        return None;
    }
    let mut out = [0u8; 64];
    let mut body = body;
    for half in 0..2 {
        let (&0x02, rest) = body.split_first()? else {
            return None;
        };
        let (&n, rest) = rest.split_first()?;
        let n = usize::from(n);
        let int = rest.get(..n)?;
        body = &rest[n..];
        let int = match int {
            [0, tail @ ..] if tail.first().is_some_and(|b| b & 0x80 != 0) => tail,
            other => other,
        };
        if int.is_empty() || int.len() > 32 {
            return None;
        }
        out[half * 32 + 32 - int.len()..half * 32 + 32].copy_from_slice(int);
    }
    body.is_empty().then_some(out)
}

/// Property text must be representable in XML 1.0 (no control characters but TAB/LF/CR).
fn check_text(s: &str, what: &str) -> Result<(), SignError> {
    if s.chars().any(|c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    }) {
        return Err(SignError::InvalidProperty(format!(
            "{what} contains control characters"
        )));
    }
    Ok(())
}
