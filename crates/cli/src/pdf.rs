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
    /// The signed record (XML). Several records (e.g. a class, in roll order) make one
    /// PDF: a cover listing them, then one copy per record, each XML attached under the
    /// student code.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where to write the PDF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Root CA certificates to trust (PEM bundle); at least one; repeatable.
    #[arg(long, required = true)]
    trust: Vec<PathBuf>,
    /// Certificate revocation lists (PEM or DER); repeatable.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// The lookup address printed and encoded in the QR code, used as given (one record
    /// only). Default: the local demo registry `http://127.0.0.1:8090/verify?code=<record
    /// id>` (a placeholder).
    #[arg(long)]
    lookup_url: Option<String>,
    /// The lookup code printed (one record only; default: the record id,
    /// MaDinhDanhHocBa).
    #[arg(long)]
    lookup_code: Option<String>,
    /// Who converts the record (printed as "Người chuyển đổi"); default: `$USER`.
    #[arg(long)]
    by: Option<String>,
    /// The cover's title when several records are given (default: the first record's
    /// class and school year).
    #[arg(long)]
    title: Option<String>,
}

/// Runs `hocba pdf`. Exit 0 written; 1 a record does not verify (with several records:
/// the others are written and the failing ones listed on the cover and on stderr; none
/// written when none verifies); 2 usage or IO error.
pub fn run(args: PdfArgs) -> anyhow::Result<ExitCode> {
    let several = args.files.len() > 1;
    if several && (args.lookup_url.is_some() || args.lookup_code.is_some()) {
        anyhow::bail!("--lookup-url and --lookup-code apply to one record only");
    }
    let trust = load_trust(&args.trust, &args.crl)?;
    let converted_by = args
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "(không rõ)".to_owned());
    let now = now_unix()?;
    let mut verified = Vec::new();
    let mut skipped = Vec::new();
    for file in &args.files {
        let xml = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        match verified_record(&xml, &trust) {
            Ok((record, signers)) => verified.push((file, xml, record, signers)),
            Err(reason) => {
                eprintln!("{}: không in được: {reason}", file.display());
                skipped.push((file, reason));
            }
        }
    }
    if !several {
        let Some((_, xml, record, signers)) = verified.pop() else {
            return Ok(ExitCode::from(1));
        };
        let lookup_code = args.lookup_code.unwrap_or_else(|| record.id.to_string());
        let lookup_url = match args.lookup_url {
            Some(url) => url,
            None => demo_lookup_url(&lookup_code),
        };
        let info = render::PaperCopyInfo {
            lookup_url,
            lookup_code,
            converted_by,
            converted_at: utc(now),
            signers,
        };
        let pdf = render::paper_copy_at(&record, &xml, &info, render::Moment::from_unix(now))?;
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
        return Ok(ExitCode::SUCCESS);
    }
    if verified.is_empty() {
        eprintln!("không in được: không học bạ nào hợp lệ, không ghi tệp");
        return Ok(ExitCode::from(1));
    }
    eprintln!("lookup URLs (demo placeholder): {DEMO_LOOKUP_URL}?code=<record id>");
    let copies: Vec<render::ClassCopy<'_>> = verified
        .iter()
        .map(|(_, xml, record, signers)| {
            let code = record.id.to_string();
            render::ClassCopy {
                record,
                signed_xml: xml,
                info: render::PaperCopyInfo {
                    lookup_url: format!("{DEMO_LOOKUP_URL}?code={code}"),
                    lookup_code: code,
                    converted_by: converted_by.clone(),
                    converted_at: utc(now),
                    signers: signers.clone(),
                },
                attachment: format!("{}.xml", record.student.code),
            }
        })
        .collect();
    let first = &verified[0].2;
    let cover = render::Cover {
        title: args
            .title
            .unwrap_or_else(|| format!("Lớp {} — năm học {}", first.class.name, first.class.year)),
        school: first.school.name.to_string(),
        converted_by,
        converted_at: utc(now),
        included: verified
            .iter()
            .enumerate()
            .map(|(i, (_, _, r, _))| render::CoverLine {
                roll: (i + 1).to_string(),
                code: r.student.code.to_string(),
                name: r.student.name.to_string(),
            })
            .collect(),
        skipped: skipped
            .iter()
            .map(|(file, reason)| {
                let name = file.file_name().map_or_else(
                    || file.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                let line = render::CoverLine {
                    roll: String::new(),
                    code: String::new(),
                    name,
                };
                (line, reason.clone())
            })
            .collect(),
    };
    let pdf = render::class_copies(&cover, &copies, render::Moment::from_unix(now))?;
    std::fs::write(&args.output, &pdf)
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "{}: {} bản sao giấy trong một tệp, {} học bạ bỏ qua, {} byte",
        args.output.display(),
        copies.len(),
        skipped.len(),
        pdf.len()
    );
    Ok(if skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The record in `xml` and its signers, once its chain verifies against `trust` in its
/// level's order and its results recompute; otherwise the Vietnamese reason.
fn verified_record(
    xml: &[u8],
    trust: &pki::TrustStore,
) -> Result<(record::Record, Vec<render::Signer>), String> {
    let record = record::parse_document(xml)
        .map_err(|e| format!("tệp không phải học bạ hợp lệ ({e})"))?
        .record;
    let roles = record::default_chain_codes(record.school.level);
    let report = xmldsig::verify_chain(xml, &record_layout(), trust, Some(&roles))
        .map_err(|e| format!("chữ ký số của học bạ không hợp lệ hoặc chưa đủ ({e})"))?;
    if let Err(m) = record::recompute_check(&record) {
        return Err(format!(
            "kết quả trong học bạ không khớp với quy tắc tính ({} chỗ)",
            m.len()
        ));
    }
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
    Ok((record, signers))
}

/// The demo registry's lookup URL for `code`, said on stderr to be a placeholder.
fn demo_lookup_url(code: &str) -> String {
    let url = format!("{DEMO_LOOKUP_URL}?code={code}");
    eprintln!("lookup URL (demo placeholder, pass --lookup-url for a real one): {url}");
    url
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
