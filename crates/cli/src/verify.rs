//! `hocba verify`: offline verification of a year record (or, with `--signatures-only`,
//! of any XMLDSig document in our algorithm profile). Contract: `docs/verify-cli.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};
use xmldsig::{ChainLayout, SignatureReport};

/// Options of `hocba verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The document to verify.
    file: PathBuf,
    /// Root CA certificates to trust (PEM bundle); at least one; repeatable.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Certificate revocation lists (PEM or DER); repeatable.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Print a JSON report on standard output.
    #[arg(long)]
    json: bool,
    /// Check only the XMLDSig profile and trust, not the record schema, the recomputed
    /// results or the signing order.
    #[arg(long)]
    signatures_only: bool,
    /// Accept a record whose chain is not complete yet (a prefix of GVCN → HT/GD → DAU).
    #[arg(long, conflicts_with = "signatures_only")]
    allow_incomplete: bool,
}

/// The layout of a Hocba record for the signature chain: `DuLieu` then `ChuKySo`.
pub fn record_layout() -> ChainLayout {
    school::records::layout()
}

/// Loads the trust store from PEM bundles and CRL files.
pub fn load_trust(roots: &[PathBuf], crls: &[PathBuf]) -> anyhow::Result<pki::TrustStore> {
    let mut store = pki::TrustStore::new();
    for path in roots {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        store
            .add_pem_bundle(&bytes)
            .with_context(|| format!("trust anchors in {}", path.display()))?;
    }
    for path in crls {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        store
            .add_crls(&bytes)
            .with_context(|| format!("CRL {}", path.display()))?;
    }
    Ok(store)
}

/// The current time in Unix seconds (the CLI is where the clock is read).
pub fn now_unix() -> anyhow::Result<i64> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("system clock is before 1970")?
        .as_secs();
    i64::try_from(secs).context("system clock out of range")
}

/// A verdict: either valid with what was verified, or invalid with a code and reason.
struct Outcome {
    valid: bool,
    code: Option<&'static str>,
    reason: Option<String>,
    record: Option<Value>,
    signatures: Vec<SignatureReport>,
}

impl Outcome {
    fn invalid(code: &'static str, reason: String, record: Option<Value>) -> Outcome {
        Outcome {
            valid: false,
            code: Some(code),
            reason: Some(reason),
            record,
            signatures: Vec::new(),
        }
    }
}

/// Runs `hocba verify`. Exit 0 valid, 1 invalid, 2 usage or read error.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let doc =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let trust = load_trust(&args.trust, &args.crl)?;
    let outcome = if args.signatures_only {
        match xmldsig::verify_signatures_only(&doc, &trust, now_unix()?) {
            Ok(report) => Outcome {
                valid: true,
                code: None,
                reason: None,
                record: None,
                signatures: report.signatures,
            },
            Err(e) => Outcome::invalid(e.code(), e.to_string(), None),
        }
    } else {
        verify_record(&doc, &trust, args.allow_incomplete)
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&outcome))?);
    } else {
        print_text(&outcome);
    }
    Ok(if outcome.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn verify_record(doc: &[u8], trust: &pki::TrustStore, allow_incomplete: bool) -> Outcome {
    let parsed = match record::parse_document(doc) {
        Ok(p) => p,
        Err(e) => return Outcome::invalid(e.code(), e.to_string(), None),
    };
    let r = &parsed.record;
    let summary = json!({
        "id": r.id.to_string(),
        "version": r.version.get(),
        "supersedes": r.supersedes.map(|s| s.id.to_string()),
        "school_code": r.school.code.to_string(),
        "school_name": r.school.name.to_string(),
        "level": r.school.level.code(),
        "school_year": r.class.year.to_string(),
        "grade": r.class.grade.get(),
        "class": r.class.name.to_string(),
    });
    let roles = record::default_chain_codes(r.school.level);
    let n = parsed.signatures.len();
    if n == 0 {
        return Outcome::invalid(
            "unsigned",
            "the record carries no signature".into(),
            Some(summary),
        );
    }
    let expected: &[&str] = if allow_incomplete && n < roles.len() {
        &roles[..n]
    } else {
        &roles
    };
    let report = match xmldsig::verify_chain(doc, &record_layout(), trust, Some(expected)) {
        Ok(report) => report,
        Err(e) => return Outcome::invalid(e.code(), e.to_string(), Some(summary)),
    };
    // Signed as it is; now the numbers must be the engine's for the record's own inputs.
    if let Err(mismatches) = record::recompute_check(r) {
        let reason = mismatches
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Outcome::invalid("recompute-mismatch", reason, Some(summary));
    }
    Outcome {
        valid: true,
        code: None,
        reason: None,
        record: Some(summary),
        signatures: report.signatures,
    }
}

fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let date = crate::record_cmd::civil_from_days(days);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn to_json(o: &Outcome) -> Value {
    let signatures: Vec<Value> = o
        .signatures
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "role": s.role,
                "signer_name": s.signer_name,
                "signing_time": s.signing_time.map(rfc3339),
                "algorithm": s.algorithm.uri(),
                "subject": s.signer.subject,
                "issuer": s.signer.issuer,
                "serial": s.signer.serial_hex,
                "not_before": rfc3339(s.signer.not_before),
                "not_after": rfc3339(s.signer.not_after),
                "sha256_fingerprint": s.signer.sha256_fingerprint,
                "references": s.references,
                "verdict": "valid",
            })
        })
        .collect();
    json!({
        "valid": o.valid,
        "code": o.code,
        "reason": o.reason,
        "record": o.record,
        "signatures": signatures,
    })
}

fn print_text(o: &Outcome) {
    if o.valid {
        println!("VALID");
    } else {
        println!(
            "INVALID [{}]: {}",
            o.code.unwrap_or("invalid"),
            o.reason.as_deref().unwrap_or("")
        );
    }
    if let Some(r) = &o.record {
        println!(
            "record {} v{} — {} ({}), {} lớp {}",
            r["id"].as_str().unwrap_or(""),
            r["version"],
            r["school_name"].as_str().unwrap_or(""),
            r["school_code"].as_str().unwrap_or(""),
            r["school_year"].as_str().unwrap_or(""),
            r["class"].as_str().unwrap_or(""),
        );
    }
    for s in &o.signatures {
        println!(
            "  {} {:<5} {} — {} (issuer {}){}",
            s.id.as_deref().unwrap_or("-"),
            s.role.as_deref().unwrap_or("-"),
            s.signing_time.map(rfc3339).unwrap_or_else(|| "-".into()),
            s.signer.subject,
            s.signer.issuer,
            s.signer_name
                .as_deref()
                .map(|n| format!(", {n}"))
                .unwrap_or_default()
        );
    }
}
