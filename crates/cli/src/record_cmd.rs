//! `hocba record export`: build a student's unsigned year record (`HocBa` XML, schema
//! v1) from the assessment inputs in a database, with every computed value taken from
//! the rule engine; and `hocba record check`: parse a record strictly and recompute it.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use domain::{Date, StudentCode};
use store::{EnrolmentKey, Store};

/// `hocba record …`
#[derive(Subcommand)]
pub enum Command {
    /// Build the unsigned year record of one student from the database.
    Export(ExportArgs),
    /// Parse a record strictly and check every computed value against the rule engine.
    Check(CheckArgs),
}

/// Options of `hocba record export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Database URL: `sqlite://PATH` or `postgres://…`.
    #[arg(long)]
    db: String,
    /// Mã định danh học sinh (20 characters).
    #[arg(long)]
    student: String,
    /// Where to write the XML (`-` for standard output).
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
}

/// Options of `hocba record check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The record file (signed or not).
    file: PathBuf,
}

/// Runs a `record` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Export(args) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(export(args))
        }
        Command::Check(args) => check(&args),
    }
}

async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let code: StudentCode = args
        .student
        .parse()
        .with_context(|| format!("--student {:?}", args.student))?;
    let store = Store::open(&args.db)
        .await
        .with_context(|| format!("opening {}", args.db))?;
    let classes = store.classes_of_student(&code).await?;
    let Some((class, _)) = classes.iter().max_by_key(|(c, _)| c.year) else {
        bail!("student {code} is not enrolled in any class");
    };
    let inputs = store
        .year_inputs(&EnrolmentKey {
            student: code.clone(),
            class: class.id,
        })
        .await?;
    let school = store.school(class.school).await?;
    let homeroom = match class.homeroom_teacher {
        Some(id) => store.teacher(id).await?.full_name,
        None => String::new(),
    };
    let level = *school.levels.first().context("the school has no level")?;
    let record = school::records::build_record(
        &inputs,
        &school,
        &homeroom,
        level,
        today(),
        NonZeroU32::MIN,
        None,
    )?;
    let xml = record.to_xml();
    if args.output.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout().write_all(&xml)?;
    } else {
        std::fs::write(&args.output, &xml)
            .with_context(|| format!("writing {}", args.output.display()))?;
        eprintln!(
            "wrote {} ({} bytes): {} — {} {}",
            args.output.display(),
            xml.len(),
            record.student.name,
            class.name,
            class.year
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let document = match record::parse_document(&bytes) {
        Ok(d) => d,
        Err(e) => {
            println!("invalid [{}]: {e}", e.code());
            return Ok(ExitCode::from(1));
        }
    };
    match record::recompute_check(&document.record) {
        Ok(()) => {
            println!(
                "ok: schema v1, every computed value matches the rule engine ({} signature(s) present, not verified here)",
                document.signatures.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(mismatches) => {
            for m in mismatches {
                println!("mismatch: {m}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// Today's date in UTC, from the system clock (the CLI is where the clock is read).
fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    civil_from_days(days as i64)
}

/// Converts days since 1970-01-01 to a calendar date (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> Date {
    school::records::civil_from_days(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_from_unix_days() {
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(20_517).to_string(), "2026-03-05");
        assert_eq!(civil_from_days(20_782).to_string(), "2026-11-25");
        assert_eq!(civil_from_days(59).to_string(), "1970-03-01");
        assert_eq!(civil_from_days(11_016).to_string(), "2000-02-29");
    }
}
