//! `hocba record export`: build a student's unsigned year record (`HocBa` XML, schema
//! v1) from the assessment inputs in a database, with every computed value taken from
//! the rule engine; and `hocba record check`: parse a record strictly and recompute it.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use domain::tt22::Comment;
use domain::{Date, Level, RuleVersion, StudentCode};
use record::{
    Absences, Code, Dated, InputMarks, Record, RecordId, Results, SecondaryInput, SubjectInput,
    Text,
};
use store::convert::rating_from_store;
use store::{EnrolmentKey, RetakeResult, Store, Term, YearInputs};

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
    let record = build(&inputs, &school, &homeroom, level, today())?;
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
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    Date::new(year, month, day).unwrap_or_else(|_| unreachable!("the algorithm yields real dates"))
}

/// The record id of version 1 of a student's record for a school and year: derived from
/// those three, so exporting twice names the same record.
fn record_id(student: &StudentCode, school: &str, year: domain::SchoolYear) -> RecordId {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("hocba-record|{student}|{school}|{year}|1").as_bytes(),
    );
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    RecordId::from_bytes(bytes)
}

/// Builds the record of one enrolment: identity from the store, results from the engine.
fn build(
    inputs: &YearInputs,
    school: &store::School,
    homeroom: &str,
    level: Level,
    created: Date,
) -> anyhow::Result<Record> {
    if level == Level::Primary {
        bail!(
            "primary (TT27) records are not exported yet: the store holds year-end values only, the record needs all four checkpoints"
        );
    }
    let year = inputs.secondary_year().map_err(|missing| {
        anyhow::anyhow!(
            "the year is incomplete: {}",
            missing
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let text = |s: &str, what: &str| Text::new(s).with_context(|| format!("{what} {s:?}"));
    let comment_of = |code: &str| {
        inputs
            .comments
            .iter()
            .find(|c| c.subject.as_str() == code && c.term == Term::Year)
            .and_then(|c| Text::new(&c.body).ok())
    };
    let retake_of = |code: &str| {
        inputs
            .summer_retakes
            .iter()
            .find(|r| r.subject.as_str() == code)
    };
    // Record-book order: the catalogue's order for the grade, unknown codes last.
    let order = domain::catalogue::programme(level, inputs.class.grade).unwrap_or_default();
    let rank = |code: &str| {
        order
            .iter()
            .position(|o| o.subject.code() == code)
            .unwrap_or(usize::MAX)
    };
    let mut entries: Vec<_> = year.subjects.iter().collect();
    entries.sort_by_key(|e| (rank(&e.code), e.code.clone()));
    let mut subjects = Vec::new();
    for entry in entries {
        let name = domain::Subject::from_code(&entry.code)
            .map(|s| s.name_vi().to_string())
            .unwrap_or_else(|| entry.code.clone());
        let marks = match &entry.marks {
            domain::tt22::SubjectMarks::Scored { hk1, hk2 } => InputMarks::Scored {
                hk1: hk1.clone(),
                hk2: hk2.clone(),
                retake: retake_of(&entry.code).and_then(|r| match r.result {
                    RetakeResult::Score(s) => Some(Dated {
                        value: s,
                        date: r.assessed_on,
                    }),
                    RetakeResult::Passed(_) => None,
                }),
            },
            domain::tt22::SubjectMarks::Commented { hk1, hk2 } => InputMarks::Commented {
                hk1: *hk1,
                hk2: *hk2,
                retake: retake_of(&entry.code).and_then(|r| match r.result {
                    RetakeResult::Passed(p) => Some(Dated {
                        value: if p { Comment::Dat } else { Comment::ChuaDat },
                        date: r.assessed_on,
                    }),
                    RetakeResult::Score(_) => None,
                }),
            },
        };
        subjects.push(SubjectInput {
            code: entry
                .code
                .parse()
                .with_context(|| format!("subject code {}", entry.code))?,
            name: text(&name, "subject name")?,
            marks,
            teacher_comment: comment_of(&entry.code),
        });
    }
    let absences = inputs.absences.unwrap_or_default();
    let input = SecondaryInput {
        rule: RuleVersion::current_for(level),
        subjects,
        conduct_hk1: year.conduct_hk1,
        conduct_hk2: year.conduct_hk2,
        absences: Absences {
            excused: absences.excused_days,
            unexcused: absences.unexcused_days,
        },
        conduct_retraining: inputs.retrained_conduct.map(|r| Dated {
            value: rating_from_store(r.rating),
            date: r.assessed_on,
        }),
        homeroom_comment: None,
    };
    let results = input
        .evaluate(inputs.class.grade)
        .map_err(|e| anyhow::anyhow!("the rule engine refused the inputs: {e}"))?;
    let s = &inputs.student;
    Ok(Record {
        id: record_id(&s.code, &school.code, inputs.class.year),
        version: NonZeroU32::MIN,
        created,
        supersedes: None,
        student: record::Student {
            code: s.code.clone(),
            personal_id: s.personal_id.clone(),
            name: text(&s.full_name, "name")?,
            sex: s.sex,
            born: s.born_on,
            ethnicity: text(&s.ethnicity, "ethnicity")?,
            nationality: text(&s.nationality, "nationality")?,
            birthplace: text(&s.place_of_birth, "place of birth")?,
            residence: text(&s.residence, "residence")?,
        },
        school: record::School {
            department_code: code(&school.department_code)?,
            code: code(&school.code)?,
            name: text(&school.name, "school name")?,
            level,
        },
        class: record::Class {
            year: inputs.class.year,
            grade: inputs.class.grade,
            name: text(&inputs.class.name, "class name")?,
            homeroom_teacher: text(homeroom, "homeroom teacher")?,
        },
        results: Results::Secondary(results),
    })
}

fn code(s: &str) -> anyhow::Result<Code> {
    s.parse().map_err(|e| anyhow::anyhow!("code {s:?}: {e}"))
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
