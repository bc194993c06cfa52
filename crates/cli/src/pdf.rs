//! `hocba pdf`: the paper copy (bản sao giấy) of a signed record as an A4 PDF, offline.
//!
//! The record is verified first (complete signature chain of its level, trust roots
//! given with `--trust`, recomputed results); the signers printed are the verified ones.
//! The signed XML is attached inside the PDF unchanged.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::verify::{load_trust, now_unix, record_layout};

/// The lookup address used when `--lookup-url` is not given: a local demo registry, not
/// a real public service. The command says so when it uses it.
pub const DEMO_LOOKUP_URL: &str = "http://127.0.0.1:8090/verify";

/// Options of `hocba pdf`.
#[derive(Args)]
pub struct PdfArgs {
    /// The signed record (XML).
    file: PathBuf,
    /// Where to write the PDF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Root CA certificates to trust (PEM bundle); at least one; repeatable.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Certificate revocation lists (PEM or DER); repeatable.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// The lookup address printed and encoded in the QR code, used as given. Default: the
    /// local demo registry `http://127.0.0.1:8090/verify?code=<record id>` (a placeholder).
    #[arg(long)]
    lookup_url: Option<String>,
    /// The lookup code printed (default: the record id, MaDinhDanhHocBa).
    #[arg(long)]
    lookup_code: Option<String>,
    /// Who converts the record (printed as "Người chuyển đổi"); default: `$USER`.
    #[arg(long)]
    by: Option<String>,
}

/// Runs `hocba pdf`. Exit 0 written, 1 the record does not verify, 2 usage or IO error.
pub fn run(args: PdfArgs) -> anyhow::Result<ExitCode> {
    let xml =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let trust = load_trust(&args.trust, &args.crl)?;
    let parsed = match record::parse_document(&xml) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("không in được: tệp không phải học bạ hợp lệ ({e})");
            return Ok(ExitCode::from(1));
        }
    };
    let record = parsed.record;
    let roles = record::default_chain_codes(record.school.level);
    let report = match xmldsig::verify_chain(&xml, &record_layout(), &trust, Some(&roles)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("không in được: chữ ký số của học bạ không hợp lệ hoặc chưa đủ ({e})");
            return Ok(ExitCode::from(1));
        }
    };
    if let Err(m) = record::recompute_check(&record) {
        eprintln!(
            "không in được: kết quả trong học bạ không khớp với quy tắc tính ({} chỗ)",
            m.len()
        );
        return Ok(ExitCode::from(1));
    }
    let lookup_code = args.lookup_code.unwrap_or_else(|| record.id.to_string());
    let lookup_url = match args.lookup_url {
        Some(url) => url,
        None => {
            let url = format!("{DEMO_LOOKUP_URL}?code={lookup_code}");
            eprintln!("lookup URL (demo placeholder, pass --lookup-url for a real one): {url}");
            url
        }
    };
    let converted_by = args
        .by
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "(không rõ)".to_owned());
    let signers = report
        .signatures
        .iter()
        .map(|s| render::Signer {
            role: s
                .role
                .as_deref()
                .and_then(record::SignerRole::from_code)
                .map_or_else(
                    || s.role.clone().unwrap_or_default(),
                    |r| r.name_vi().to_owned(),
                ),
            name: s
                .signer_name
                .clone()
                .unwrap_or_else(|| common_name(&s.signer.subject).to_owned()),
            time: s.signing_time.map(utc).unwrap_or_default(),
        })
        .collect();
    let info = render::PaperCopyInfo {
        lookup_url,
        lookup_code,
        converted_by,
        converted_at: utc(now_unix()?),
        signers,
    };
    let pdf = render::paper_copy(&record, &xml, &info)?;
    std::fs::write(&args.output, &pdf)
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "{}: bản sao giấy của học bạ {} ({}), {} byte, tra cứu: {}",
        args.output.display(),
        record.id,
        record.student.name,
        pdf.len(),
        info.lookup_url
    );
    Ok(ExitCode::SUCCESS)
}

/// `2026-05-20 08:00:00 UTC`.
fn utc(unix: i64) -> String {
    let date = crate::record_cmd::civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{date} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The `CN=` part of a subject such as `C=VN, O=Trường …, CN=Trường …` (the whole
/// subject when there is none).
fn common_name(subject: &str) -> &str {
    subject
        .rsplit(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(subject)
}
