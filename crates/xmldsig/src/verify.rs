//! Verification under the strict profile: [`verify_chain`] for Hocba records (layout,
//! order, roles) and [`verify_signatures_only`] for any document signed with our
//! algorithms (profile and trust only).

use aws_lc_rs::digest;
use aws_lc_rs::signature::UnparsedPublicKey;
use base64::Engine as _;
use roxmltree::{Node, NodeId};

use crate::c14n;
use crate::der::{self, KeyKind};
use crate::error::VerifyError;
use crate::profile::{self, Limits, is_blank, is_named};
use crate::sign::{ChainLayout, locate, to32};
use crate::signer::SignatureAlgorithm;
use crate::trust::{CertSummary, TrustPolicy};
use crate::{DSIG_NS, ENVELOPED, EXC_C14N, PROPS_NS, SHA256};

/// The outcome of a successful [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The data element's Id.
    pub data_id: String,
    /// SHA-256 of the canonical data element (identifies the signed content).
    pub data_digest: [u8; 32],
    /// Byte range of the data element in the verified document: the only signed content
    /// callers should read record data from.
    pub data_range: std::ops::Range<usize>,
    /// One entry per signature, in chain order.
    pub signatures: Vec<SignatureReport>,
}

/// The outcome of a successful [`verify_signatures_only`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignaturesReport {
    /// One entry per `ds:Signature`, in document order.
    pub signatures: Vec<SignatureReport>,
}

/// What one verified signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// The signature's `Id`, if any.
    pub id: Option<String>,
    /// Its algorithm.
    pub algorithm: SignatureAlgorithm,
    /// The signer's certificate as accepted by the trust policy.
    pub signer: CertSummary,
    /// Signed role, if the signature has our properties.
    pub role: Option<String>,
    /// Signed signer name, if present.
    pub signer_name: Option<String>,
    /// Signed signing time (Unix seconds), if present.
    pub signing_time: Option<i64>,
    /// The time the chain was validated at (signing time, or the fallback).
    pub validated_at: i64,
    /// Reference URIs, in order.
    pub references: Vec<String>,
}

/// Verifies a Hocba record: the layout (data element then container as the only element
/// children of the document element), the ordered chain `sig1..sigN` where signature *k*
/// references exactly `#<data Id>`, `#sig1`…`#sig(k-1)`, `#sigk-props`, each signer's
/// chain with `trust` at its signed signing time, and, if given, one signature per
/// expected role in that order. Default [`Limits`].
///
/// Each signature's `SignedInfo` is checked with the key of the trust-validated
/// certificate before any reference is dereferenced. For a chain still in progress pass
/// the prefix of the roles signed so far (e.g. `["GVCN"]` before the principal signs);
/// `None` skips the count and role checks.
///
/// # Errors
/// The first rejection found, as a [`VerifyError`] variant.
pub fn verify_chain(
    doc: &[u8],
    layout: &ChainLayout,
    trust: &dyn TrustPolicy,
    expected_roles: Option<&[&str]>,
) -> Result<ChainReport, VerifyError> {
    verify_chain_with_limits(doc, layout, trust, expected_roles, &Limits::default())
}

/// [`verify_chain`] with explicit resource limits.
///
/// # Errors
/// As [`verify_chain`].
pub fn verify_chain_with_limits(
    doc: &[u8],
    layout: &ChainLayout,
    trust: &dyn TrustPolicy,
    expected_roles: Option<&[&str]>,
    limits: &Limits,
) -> Result<ChainReport, VerifyError> {
    let document = profile::parse(doc, limits)?;
    let _scan = profile::scan(&document, limits)?;
    let located = locate(&document, layout)?;
    let n = located.signatures.len();
    if let Some(roles) = expected_roles {
        if n < roles.len() {
            return Err(VerifyError::MissingSignature {
                expected: roles.len(),
                found: n,
            });
        }
        if n > roles.len() {
            return Err(VerifyError::ExtraSignature {
                expected: roles.len(),
                found: n,
            });
        }
    }
    if n == 0 {
        return Err(VerifyError::NoSignatures);
    }
    if n > limits.max_signatures {
        return Err(VerifyError::TooManySignatures {
            limit: limits.max_signatures,
        });
    }

    // Parse and check the structure of every signature before any cryptography.
    let mut parsed = Vec::with_capacity(n);
    for (i, sig) in located.signatures.iter().enumerate() {
        let label = format!("sig{}", i + 1);
        let parts = parse_signature(*sig, &label, Mode::Chain, limits)?;
        let props_id = format!("{label}-props");
        let mut expected: Vec<String> = Vec::with_capacity(i + 2);
        expected.push(format!("#{}", located.data_id));
        expected.extend((1..=i).map(|j| format!("#sig{j}")));
        expected.push(format!("#{props_id}"));
        for (pos, r) in parts.references.iter().enumerate() {
            if !expected.iter().any(|e| e == r.uri) {
                return Err(VerifyError::UnexpectedReference {
                    signature: label,
                    uri: r.uri.to_owned(),
                });
            }
            match expected.get(pos) {
                Some(e) if e == r.uri => {}
                Some(e) => {
                    return Err(VerifyError::MissingReference {
                        signature: label,
                        uri: e.clone(),
                    });
                }
                // More references than prescribed (e.g. one repeated).
                None => {
                    return Err(VerifyError::UnexpectedReference {
                        signature: label,
                        uri: r.uri.to_owned(),
                    });
                }
            }
        }
        if parts.references.len() < expected.len() {
            let uri = expected[parts.references.len()].clone();
            return Err(VerifyError::MissingReference {
                signature: label,
                uri,
            });
        }
        if parts.objects.len() != 1 || parts.objects[0].attribute("Id") != Some(props_id.as_str()) {
            return Err(VerifyError::BadProperties {
                signature: label,
                reason: format!("exactly one ds:Object with Id {props_id:?} required"),
            });
        }
        let props = parse_properties(parts.objects[0], &label)?.ok_or_else(|| {
            VerifyError::BadProperties {
                signature: label.clone(),
                reason: "no hs:SignatureProperties in the object".into(),
            }
        })?;
        parsed.push((label, parts, props));
    }

    let mut cache = DigestCache::default();
    let mut reports = Vec::with_capacity(n);
    for (i, (label, parts, props)) in parsed.into_iter().enumerate() {
        let signer =
            check_key_and_signed_info(&parts, &label, Some(&props), props.signing_time, trust)?;
        for (pos, r) in parts.references.iter().enumerate() {
            // Resolve by position, not by searching ids: data, then earlier signatures,
            // then the own properties object.
            let target = if pos == 0 {
                located.data
            } else if pos <= i {
                located.signatures[pos - 1]
            } else {
                parts.objects[0]
            };
            let d = cache.digest(target, &r.prefixes, None)?;
            if d != r.digest {
                return Err(VerifyError::DigestMismatch {
                    signature: label,
                    uri: r.uri.to_owned(),
                });
            }
        }
        if let Some(roles) = expected_roles
            && roles[i] != props.role
        {
            return Err(VerifyError::RoleMismatch {
                signature: label,
                expected: roles[i].to_owned(),
                found: props.role,
            });
        }
        reports.push(SignatureReport {
            id: Some(label),
            algorithm: parts.algorithm,
            signer,
            role: Some(props.role),
            signer_name: props.signer_name,
            signing_time: Some(props.signing_time),
            validated_at: props.signing_time,
            references: parts.references.iter().map(|r| r.uri.to_owned()).collect(),
        });
    }
    let data_digest = cache.digest(located.data, &[], None)?;
    Ok(ChainReport {
        data_id: located.data_id.to_owned(),
        data_digest,
        data_range: located.data.range(),
        signatures: reports,
    })
}

/// Verifies every `ds:Signature` of any document under the profile and `trust`, without
/// the Hocba layout, order and role rules (`hocba verify --signatures-only`). References
/// may be `""` (whole document, with the enveloped transform) or `#id`; transforms are
/// the enveloped transform (only when the signature lies inside the referenced content)
/// followed by exclusive C14N. Chains are validated at the signed signing time if the
/// signature carries our properties, else at `fallback_time` (the caller's "now").
///
/// # Errors
/// The first rejection found, as a [`VerifyError`] variant.
pub fn verify_signatures_only(
    doc: &[u8],
    trust: &dyn TrustPolicy,
    fallback_time: i64,
) -> Result<SignaturesReport, VerifyError> {
    verify_signatures_only_with_limits(doc, trust, fallback_time, &Limits::default())
}

/// [`verify_signatures_only`] with explicit resource limits.
///
/// # Errors
/// As [`verify_signatures_only`].
pub fn verify_signatures_only_with_limits(
    doc: &[u8],
    trust: &dyn TrustPolicy,
    fallback_time: i64,
    limits: &Limits,
) -> Result<SignaturesReport, VerifyError> {
    let document = profile::parse(doc, limits)?;
    let scan = profile::scan(&document, limits)?;
    let sigs: Vec<Node<'_, '_>> = document
        .descendants()
        .filter(|n| is_named(*n, DSIG_NS, "Signature"))
        .collect();
    if sigs.is_empty() {
        return Err(VerifyError::NoSignatures);
    }
    if sigs.len() > limits.max_signatures {
        return Err(VerifyError::TooManySignatures {
            limit: limits.max_signatures,
        });
    }
    let mut parsed = Vec::with_capacity(sigs.len());
    for (i, sig) in sigs.iter().enumerate() {
        let label = sig
            .attribute("Id")
            .map_or_else(|| format!("#{}", i + 1), str::to_owned);
        let parts = parse_signature(*sig, &label, Mode::SignaturesOnly, limits)?;
        let mut targets = Vec::with_capacity(parts.references.len());
        for r in &parts.references {
            let target = if r.uri.is_empty() {
                None
            } else {
                let id = &r.uri[1..];
                Some(
                    *scan
                        .ids
                        .get(id)
                        .ok_or_else(|| VerifyError::UnresolvedReference {
                            uri: r.uri.to_owned(),
                        })?,
                )
            };
            if r.enveloped {
                let contains = target.is_none_or(|t| sig.ancestors().any(|a| a == t));
                if !contains {
                    return Err(VerifyError::ForbiddenTransform {
                        algorithm: ENVELOPED.to_owned(),
                    });
                }
            } else if r.uri.is_empty() {
                return Err(VerifyError::WrongTransforms {
                    uri: String::new(),
                    expected: "enveloped-signature then exc-c14n for URI=\"\"",
                });
            }
            targets.push(target);
        }
        let mut props = None;
        for o in &parts.objects {
            if let Some(p) = parse_properties(*o, &label)? {
                props = Some(p);
            }
        }
        parsed.push((label, parts, targets, props, *sig));
    }

    let mut cache = DigestCache::default();
    let mut reports = Vec::with_capacity(parsed.len());
    for (label, parts, targets, props, sig) in parsed {
        let at = props.as_ref().map_or(fallback_time, |p| p.signing_time);
        let signer = check_key_and_signed_info(&parts, &label, props.as_ref(), at, trust)?;
        for (r, target) in parts.references.iter().zip(&targets) {
            let exclude = r.enveloped.then(|| sig.id());
            let d = match target {
                Some(t) => cache.digest(*t, &r.prefixes, exclude)?,
                None => {
                    let mut buf = Vec::new();
                    c14n::canonicalize_document(&document, &r.prefixes, exclude, &mut buf)
                        .map_err(internal)?;
                    to32(digest::digest(&digest::SHA256, &buf))
                }
            };
            if d != r.digest {
                return Err(VerifyError::DigestMismatch {
                    signature: label,
                    uri: r.uri.to_owned(),
                });
            }
        }
        reports.push(SignatureReport {
            id: sig.attribute("Id").map(str::to_owned),
            algorithm: parts.algorithm,
            signer,
            role: props.as_ref().map(|p| p.role.clone()),
            signer_name: props.as_ref().and_then(|p| p.signer_name.clone()),
            signing_time: props.as_ref().map(|p| p.signing_time),
            validated_at: at,
            references: parts.references.iter().map(|r| r.uri.to_owned()).collect(),
        });
    }
    Ok(SignaturesReport {
        signatures: reports,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Chain,
    SignaturesOnly,
}

struct Reference<'a> {
    uri: &'a str,
    enveloped: bool,
    prefixes: Vec<&'a str>,
    digest: [u8; 32],
}

struct SignatureParts<'a, 'i> {
    signed_info: Node<'a, 'i>,
    si_prefixes: Vec<&'a str>,
    algorithm: SignatureAlgorithm,
    references: Vec<Reference<'a>>,
    value: Vec<u8>,
    chain: Vec<Vec<u8>>,
    objects: Vec<Node<'a, 'i>>,
}

struct Properties {
    signing_time: i64,
    role: String,
    signer_name: Option<String>,
    cert_digest: Option<Vec<u8>>,
}

/// Checks the certificate/key/algorithm fit, the signed certificate digest, the trust
/// policy, then the signature over the canonical `SignedInfo`.
fn check_key_and_signed_info(
    parts: &SignatureParts<'_, '_>,
    label: &str,
    props: Option<&Properties>,
    at: i64,
    trust: &dyn TrustPolicy,
) -> Result<CertSummary, VerifyError> {
    let leaf = parts
        .chain
        .first()
        .ok_or_else(|| VerifyError::MissingCertificate {
            signature: label.to_owned(),
        })?;
    let cert = der::parse_certificate(leaf).map_err(|e| VerifyError::BadCertificate {
        signature: label.to_owned(),
        reason: e.to_string(),
    })?;
    let kind_ok = matches!(
        (cert.key_kind, parts.algorithm),
        (KeyKind::Rsa, SignatureAlgorithm::RsaSha256)
            | (KeyKind::EcP256, SignatureAlgorithm::EcdsaP256Sha256)
    );
    if !kind_ok {
        return Err(VerifyError::KeyAlgorithmMismatch {
            signature: label.to_owned(),
        });
    }
    if let Some(expected) = props.and_then(|p| p.cert_digest.as_deref())
        && digest::digest(&digest::SHA256, leaf).as_ref() != expected
    {
        return Err(VerifyError::CertificateDigestMismatch {
            signature: label.to_owned(),
        });
    }
    let summary = trust
        .validate(&parts.chain, at)
        .map_err(|source| VerifyError::Untrusted {
            signature: label.to_owned(),
            source,
        })?;
    let mut si = Vec::with_capacity(1024);
    c14n::canonicalize(parts.signed_info, &parts.si_prefixes, &mut si).map_err(internal)?;
    UnparsedPublicKey::new(parts.algorithm.verification(), cert.public_key)
        .verify(&si, &parts.value)
        .map_err(|_| VerifyError::BadSignatureValue {
            signature: label.to_owned(),
        })?;
    Ok(summary)
}

/// Canonical digests by (element, prefix list, excluded node), so that the data element
/// and earlier signatures are canonicalized once however many signatures cover them.
/// (element, excluded subtree, inclusive prefixes, digest).
type CacheEntry = (NodeId, Option<NodeId>, Vec<String>, [u8; 32]);

#[derive(Default)]
struct DigestCache {
    entries: Vec<CacheEntry>,
    buf: Vec<u8>,
}

impl DigestCache {
    fn digest(
        &mut self,
        node: Node<'_, '_>,
        prefixes: &[&str],
        exclude: Option<NodeId>,
    ) -> Result<[u8; 32], VerifyError> {
        if let Some(e) = self.entries.iter().find(|e| {
            e.0 == node.id()
                && e.1 == exclude
                && e.2.iter().map(String::as_str).eq(prefixes.iter().copied())
        }) {
            return Ok(e.3);
        }
        self.buf.clear();
        c14n::canonicalize_excluding(node, prefixes, exclude, &mut self.buf).map_err(internal)?;
        let d = to32(digest::digest(&digest::SHA256, &self.buf));
        self.entries.push((
            node.id(),
            exclude,
            prefixes.iter().map(|p| (*p).to_owned()).collect(),
            d,
        ));
        Ok(d)
    }
}

fn internal(e: c14n::C14nError) -> VerifyError {
    match e {
        c14n::C14nError::NamespaceUriNeedsEscaping(uri) => {
            VerifyError::UnsupportedNamespaceUri { uri }
        }
        other => VerifyError::MalformedXml(other.to_string()),
    }
}

fn malformed(label: &str, reason: impl Into<String>) -> VerifyError {
    VerifyError::MalformedSignature {
        signature: label.to_owned(),
        reason: reason.into(),
    }
}

/// Element children of `node`, refusing non-blank text (comments and PIs were refused
/// document-wide by the scan).
fn element_children<'a, 'i>(
    node: Node<'a, 'i>,
    label: &str,
) -> Result<Vec<Node<'a, 'i>>, VerifyError> {
    let mut out = Vec::new();
    for c in node.children() {
        if c.is_element() {
            out.push(c);
        } else if c.is_text() && !is_blank(c) {
            return Err(malformed(
                label,
                format!("text inside {}", node.tag_name().name()),
            ));
        }
    }
    Ok(out)
}

fn expect_ds<'a, 'i>(
    node: Option<&Node<'a, 'i>>,
    local: &str,
    label: &str,
) -> Result<Node<'a, 'i>, VerifyError> {
    match node {
        Some(n) if is_named(*n, DSIG_NS, local) => Ok(*n),
        Some(n) => Err(malformed(
            label,
            format!("expected ds:{local}, found {}", n.tag_name().name()),
        )),
        None => Err(malformed(label, format!("missing ds:{local}"))),
    }
}

/// Attributes must be among `allowed` (all unqualified).
fn check_attrs(node: Node<'_, '_>, allowed: &[&str], label: &str) -> Result<(), VerifyError> {
    for a in node.attributes() {
        if a.namespace().is_some() || !allowed.contains(&a.name()) {
            return Err(malformed(
                label,
                format!(
                    "attribute {} not allowed on {}",
                    a.name(),
                    node.tag_name().name()
                ),
            ));
        }
    }
    Ok(())
}

fn text_of<'a>(node: Node<'a, '_>, label: &str) -> Result<&'a str, VerifyError> {
    let mut it = node.children();
    match (it.next(), it.next()) {
        (None, _) => Ok(""),
        (Some(t), None) if t.is_text() => Ok(t.text().unwrap_or("")),
        _ => Err(malformed(
            label,
            format!("{} must hold only text", node.tag_name().name()),
        )),
    }
}

fn b64(s: &str, label: &str, what: &'static str) -> Result<Vec<u8>, VerifyError> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|_| VerifyError::BadBase64 {
            signature: label.to_owned(),
            what,
        })
}

fn is_weak(uri: &str) -> bool {
    let u = uri.to_ascii_lowercase();
    ["sha1", "md5", "hmac", "dsa-", "sha224", "ripemd"]
        .iter()
        .any(|w| u.contains(w))
}

fn algorithm_attr<'a>(node: Node<'a, '_>, label: &str) -> Result<&'a str, VerifyError> {
    node.attribute("Algorithm").ok_or_else(|| {
        malformed(
            label,
            format!("{} without Algorithm", node.tag_name().name()),
        )
    })
}

/// Reads an optional `ec:InclusiveNamespaces PrefixList` child of a C14N method/transform.
fn inclusive_prefixes<'a>(
    node: Node<'a, '_>,
    label: &str,
    mode: Mode,
) -> Result<Vec<&'a str>, VerifyError> {
    let kids = element_children(node, label)?;
    match kids.as_slice() {
        [] => Ok(Vec::new()),
        [inc]
            if mode == Mode::SignaturesOnly && is_named(*inc, EXC_C14N, "InclusiveNamespaces") =>
        {
            Ok(inc
                .attribute("PrefixList")
                .unwrap_or("")
                .split_ascii_whitespace()
                .collect())
        }
        [other, ..] => Err(malformed(
            label,
            format!(
                "unexpected {} in {}",
                other.tag_name().name(),
                node.tag_name().name()
            ),
        )),
    }
}

fn parse_signature<'a, 'i>(
    sig: Node<'a, 'i>,
    label: &str,
    mode: Mode,
    limits: &Limits,
) -> Result<SignatureParts<'a, 'i>, VerifyError> {
    check_attrs(sig, &["Id"], label)?;
    let kids = element_children(sig, label)?;
    let signed_info = expect_ds(kids.first(), "SignedInfo", label)?;
    let sig_value = expect_ds(kids.get(1), "SignatureValue", label)?;
    let key_info = match kids.get(2) {
        Some(k) if is_named(*k, DSIG_NS, "KeyInfo") => *k,
        _ => {
            return Err(VerifyError::MissingCertificate {
                signature: label.to_owned(),
            });
        }
    };
    let mut objects = Vec::new();
    for k in &kids[3..] {
        if !is_named(*k, DSIG_NS, "Object") {
            return Err(malformed(
                label,
                format!("unexpected {} in Signature", k.tag_name().name()),
            ));
        }
        objects.push(*k);
    }

    // SignedInfo.
    check_attrs(signed_info, &["Id"], label)?;
    let si = element_children(signed_info, label)?;
    let cm = expect_ds(si.first(), "CanonicalizationMethod", label)?;
    check_attrs(cm, &["Algorithm"], label)?;
    let cm_alg = algorithm_attr(cm, label)?;
    if cm_alg != EXC_C14N {
        return Err(VerifyError::UnsupportedCanonicalization {
            algorithm: cm_alg.to_owned(),
        });
    }
    let si_prefixes = inclusive_prefixes(cm, label, mode)?;
    let sm = expect_ds(si.get(1), "SignatureMethod", label)?;
    check_attrs(sm, &["Algorithm"], label)?;
    let sm_alg = algorithm_attr(sm, label)?;
    let algorithm = match SignatureAlgorithm::from_uri(sm_alg) {
        Some(a) => a,
        None if is_weak(sm_alg) => {
            return Err(VerifyError::WeakAlgorithm {
                algorithm: sm_alg.to_owned(),
            });
        }
        None => {
            return Err(VerifyError::UnsupportedAlgorithm {
                algorithm: sm_alg.to_owned(),
            });
        }
    };
    if !element_children(sm, label)?.is_empty() {
        return Err(malformed(label, "SignatureMethod must be empty"));
    }
    if si.len() < 3 {
        return Err(malformed(label, "SignedInfo has no Reference"));
    }
    if si.len() - 2 > limits.max_references {
        return Err(VerifyError::TooManyReferences {
            signature: label.to_owned(),
            limit: limits.max_references,
        });
    }
    let mut references = Vec::with_capacity(si.len() - 2);
    for r in &si[2..] {
        let r = expect_ds(Some(r), "Reference", label)?;
        references.push(parse_reference(r, label, mode)?);
    }

    let value = b64(text_of(sig_value, label)?, label, "SignatureValue")?;
    check_attrs(sig_value, &["Id"], label)?;

    // KeyInfo: exactly one X509Data holding only X509Certificate.
    let ki = element_children(key_info, label)?;
    let not_allowed = |n: &Node<'_, '_>| VerifyError::KeyInfoNotAllowed {
        signature: label.to_owned(),
        found: n.tag_name().name().to_owned(),
    };
    let x509 = match ki.as_slice() {
        [x] if is_named(*x, DSIG_NS, "X509Data") => *x,
        [] => {
            return Err(VerifyError::MissingCertificate {
                signature: label.to_owned(),
            });
        }
        [x] => return Err(not_allowed(x)),
        [a, b, ..] => {
            return Err(not_allowed(if is_named(*a, DSIG_NS, "X509Data") {
                b
            } else {
                a
            }));
        }
    };
    let mut chain = Vec::new();
    for c in element_children(x509, label)? {
        if !is_named(c, DSIG_NS, "X509Certificate") {
            return Err(not_allowed(&c));
        }
        chain.push(b64(text_of(c, label)?, label, "X509Certificate")?);
    }
    if chain.is_empty() {
        return Err(VerifyError::MissingCertificate {
            signature: label.to_owned(),
        });
    }
    Ok(SignatureParts {
        signed_info,
        si_prefixes,
        algorithm,
        references,
        value,
        chain,
        objects,
    })
}

fn parse_reference<'a>(
    r: Node<'a, '_>,
    label: &str,
    mode: Mode,
) -> Result<Reference<'a>, VerifyError> {
    check_attrs(r, &["URI", "Id", "Type"], label)?;
    let uri = r
        .attribute("URI")
        .ok_or_else(|| malformed(label, "Reference without URI"))?;
    if let Some(id) = uri.strip_prefix('#') {
        if id.starts_with("xpointer(") || !profile::is_safe_id(id) {
            return Err(VerifyError::UnresolvedReference {
                uri: uri.to_owned(),
            });
        }
    } else if !(uri.is_empty() && mode == Mode::SignaturesOnly) {
        if uri.is_empty() {
            return Err(VerifyError::UnexpectedReference {
                signature: label.to_owned(),
                uri: String::new(),
            });
        }
        return Err(VerifyError::ExternalReference {
            uri: uri.to_owned(),
        });
    }
    let kids = element_children(r, label)?;
    let (transforms, rest) = match kids.first() {
        Some(t) if is_named(*t, DSIG_NS, "Transforms") => (Some(*t), &kids[1..]),
        _ => (None, &kids[..]),
    };
    let expected_desc = match mode {
        Mode::Chain => "exactly exc-c14n",
        Mode::SignaturesOnly => "exc-c14n, optionally preceded by enveloped-signature",
    };
    let wrong = || VerifyError::WrongTransforms {
        uri: uri.to_owned(),
        expected: expected_desc,
    };
    let mut enveloped = false;
    let mut prefixes = Vec::new();
    let mut saw_c14n = false;
    let list = match transforms {
        Some(t) => {
            check_attrs(t, &[], label)?;
            element_children(t, label)?
        }
        None => Vec::new(),
    };
    for (i, t) in list.iter().enumerate() {
        let t = expect_ds(Some(t), "Transform", label)?;
        check_attrs(t, &["Algorithm"], label)?;
        let alg = algorithm_attr(t, label)?;
        match alg {
            EXC_C14N => {
                if saw_c14n || i + 1 != list.len() {
                    return Err(wrong());
                }
                saw_c14n = true;
                prefixes = inclusive_prefixes(t, label, mode)?;
            }
            ENVELOPED if mode == Mode::SignaturesOnly => {
                if i != 0 || !element_children(t, label)?.is_empty() {
                    return Err(wrong());
                }
                enveloped = true;
            }
            other => {
                return Err(VerifyError::ForbiddenTransform {
                    algorithm: other.to_owned(),
                });
            }
        }
    }
    if !saw_c14n {
        return Err(wrong());
    }
    let dm = expect_ds(rest.first(), "DigestMethod", label)?;
    check_attrs(dm, &["Algorithm"], label)?;
    let dm_alg = algorithm_attr(dm, label)?;
    if dm_alg != SHA256 {
        return Err(if is_weak(dm_alg) {
            VerifyError::WeakAlgorithm {
                algorithm: dm_alg.to_owned(),
            }
        } else {
            VerifyError::UnsupportedAlgorithm {
                algorithm: dm_alg.to_owned(),
            }
        });
    }
    if !element_children(dm, label)?.is_empty() {
        return Err(malformed(label, "DigestMethod must be empty"));
    }
    let dv = expect_ds(rest.get(1), "DigestValue", label)?;
    check_attrs(dv, &[], label)?;
    if rest.len() > 2 {
        return Err(malformed(label, "unexpected element after DigestValue"));
    }
    let d = b64(text_of(dv, label)?, label, "DigestValue")?;
    let digest: [u8; 32] = d
        .try_into()
        .map_err(|_| malformed(label, "DigestValue is not 32 bytes"))?;
    Ok(Reference {
        uri,
        enveloped,
        prefixes,
        digest,
    })
}

/// Reads `hs:SignatureProperties` from an object, if it holds one.
fn parse_properties(object: Node<'_, '_>, label: &str) -> Result<Option<Properties>, VerifyError> {
    let bad = |reason: &str| VerifyError::BadProperties {
        signature: label.to_owned(),
        reason: reason.to_owned(),
    };
    let kids = element_children(object, label)?;
    let Some(sp) = kids
        .iter()
        .find(|k| is_named(**k, PROPS_NS, "SignatureProperties"))
    else {
        return Ok(None);
    };
    if kids.len() != 1 {
        return Err(bad(
            "the properties object must hold only hs:SignatureProperties",
        ));
    }
    if sp.attributes().len() != 0 {
        return Err(bad("unexpected attribute on hs:SignatureProperties"));
    }
    let fields = element_children(*sp, label)?;
    let mut it = fields.iter().peekable();
    let mut take = |local: &str, required: bool| -> Result<Option<String>, VerifyError> {
        match it.peek() {
            Some(n) if is_named(**n, PROPS_NS, local) => {
                let n = it.next().copied();
                let Some(n) = n else { return Ok(None) };
                if n.attributes().len() != 0 {
                    return Err(bad("unexpected attribute in properties"));
                }
                Ok(Some(text_of(n, label)?.to_owned()))
            }
            _ if required => Err(bad(&format!("missing hs:{local}"))),
            _ => Ok(None),
        }
    };
    let time = take("SigningTime", true)?.unwrap_or_default();
    let role = take("Role", true)?.unwrap_or_default();
    let signer_name = take("SignerName", false)?;
    let cert_digest = take("CertDigest", true)?.unwrap_or_default();
    if it.next().is_some() {
        return Err(bad("unexpected element in properties"));
    }
    let signing_time = crate::time::parse_utc(&time)
        .ok_or_else(|| bad("SigningTime is not YYYY-MM-DDThh:mm:ssZ"))?;
    if role.is_empty() {
        return Err(bad("empty role"));
    }
    let cert_digest = b64(&cert_digest, label, "CertDigest")?;
    Ok(Some(Properties {
        signing_time,
        role,
        signer_name,
        cert_digest: Some(cert_digest),
    }))
}
