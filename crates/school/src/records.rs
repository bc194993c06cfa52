//! Year records on the school server: building a student's record from the stored inputs
//! (the one builder, also used by `hocba record export`), the signature layout, record
//! ids, and signing one record as the next role of its chain.
//!
//! Invariant: every computed value in a record comes from the rule engine
//! (`record::SecondaryInput::evaluate`, `record::PrimaryInput::evaluate` for primary
//! classes via [`crate::primary::primary_record_input`]), never from the page or the
//! database.

use std::num::NonZeroU32;

use domain::tt22::Comment;
use domain::{Date, Level, RuleVersion, SchoolYear, StudentCode};
use record::{
    Absences, Code, Dated, InputMarks, Record, RecordId, Results, SecondaryInput, SubjectInput,
    Supersedes, Text,
};
use sha2::{Digest, Sha256};
use store::convert::rating_from_store;
use store::{RetakeResult, Term, YearInputs};
use xmldsig::{ChainLayout, SignatureProperties, Signer};

/// Why a record could not be built from the stored inputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Something the year needs is missing (listed).
    #[error("the year is incomplete: {0}")]
    Incomplete(String),
    /// The rule engine refused the inputs.
    #[error("the rule engine refused the inputs: {0}")]
    Engine(String),
    /// A stored value does not fit the record (name too long, bad code…).
    #[error("{0}")]
    Invalid(String),
}

/// Why a record could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignFailure {
    /// The record's chain does not expect another signature at this position.
    #[error("the chain expects no signature {position} (chain {chain:?})")]
    NotExpected {
        /// 0-based position asked for.
        position: usize,
        /// The chain's role codes.
        chain: [&'static str; 3],
    },
    /// The signatures already present do not verify.
    #[error("the signatures present do not verify: {0}")]
    Chain(#[from] xmldsig::VerifyError),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(#[from] xmldsig::SignError),
    /// The server has no trust roots configured.
    #[error("no trust roots configured")]
    NoTrust,
}

/// The layout of a Hocba record for the signature chain: `DuLieu` then `ChuKySo` (the one
/// definition; `hocba verify` uses it too).
pub fn layout() -> ChainLayout {
    ChainLayout::new(
        record::NAMESPACE,
        record::DATA_ELEMENT,
        record::NAMESPACE,
        record::SIGNATURES_ELEMENT,
    )
}

/// The record id of `version` of a student's record for a school and year: derived from
/// those, so building twice names the same record.
pub fn record_id(
    student: &StudentCode,
    school_code: &str,
    year: SchoolYear,
    version: NonZeroU32,
) -> RecordId {
    let digest = Sha256::digest(format!(
        "hocba-record|{student}|{school_code}|{year}|{version}"
    ));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    RecordId::from_bytes(bytes)
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Adds signature `position` (0-based) of the level's default chain to `doc`, signed by
/// `signer` at `now` (Unix seconds). The signatures already present are verified first
/// against `trust` with the chain's prefix of roles; a document with any other number of
/// signatures than `position` is refused.
pub fn sign_as_next(
    doc: &[u8],
    level: Level,
    position: usize,
    signer: &dyn Signer,
    trust: &pki::TrustStore,
    signer_name: &str,
    now: i64,
) -> Result<Vec<u8>, SignFailure> {
    let chain = record::default_chain_codes(level);
    let Some(role) = chain.get(position) else {
        return Err(SignFailure::NotExpected { position, chain });
    };
    let present = record::parse_document(doc)
        .map(|d| d.signatures.len())
        .unwrap_or(usize::MAX);
    if present != position {
        return Err(SignFailure::NotExpected { position, chain });
    }
    if position > 0 {
        xmldsig::verify_chain(doc, &layout(), trust, Some(&chain[..position]))?;
    }
    let props = SignatureProperties {
        signing_time: now,
        role: (*role).to_owned(),
        signer_name: Some(signer_name.to_owned()),
    };
    Ok(xmldsig::sign_next(doc, &layout(), signer, &props)?)
}

/// Converts days since 1970-01-01 to a calendar date ([`domain::date::civil_from_days`]).
/// Panics when the date falls outside the years 1900–2199 that [`Date`] holds.
pub fn civil_from_days(z: i64) -> Date {
    let (year, month, day) = domain::date::civil_from_days(z);
    Date::new(year as u16, month, day)
        .unwrap_or_else(|_| unreachable!("the algorithm yields real dates"))
}

/// The UTC date of a Unix time.
pub fn date_of(unix: i64) -> Date {
    civil_from_days(unix.div_euclid(86_400))
}

/// A Unix time as ISO 8601 UTC, `2026-05-30T08:15:00Z`.
pub fn iso_utc(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_of(unix),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Builds version `version` of the record of one enrolment: identity from the store,
/// every result from the rule engine. `supersedes` names the version it replaces
/// (versions after an unlock).
pub fn build_record(
    inputs: &YearInputs,
    school: &store::School,
    homeroom: &str,
    level: Level,
    created: Date,
    version: NonZeroU32,
    supersedes: Option<Supersedes>,
) -> Result<Record, BuildError> {
    if level == Level::Primary {
        let input = crate::primary::primary_record_input(inputs)?;
        let results = input
            .evaluate(inputs.class.grade)
            .map_err(|e| BuildError::Engine(e.to_string()))?;
        return assemble(
            inputs,
            school,
            homeroom,
            level,
            created,
            version,
            supersedes,
            Results::Primary(results),
        );
    }
    let year = inputs.secondary_year().map_err(|missing| {
        BuildError::Incomplete(
            missing
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let text = |s: &str, what: &str| {
        Text::new(s).map_err(|e| BuildError::Invalid(format!("{what} {s:?}: {e}")))
    };
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
                .map_err(|e| BuildError::Invalid(format!("subject code {}: {e}", entry.code)))?,
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
        .map_err(|e| BuildError::Engine(e.to_string()))?;
    assemble(
        inputs,
        school,
        homeroom,
        level,
        created,
        version,
        supersedes,
        Results::Secondary(results),
    )
}

/// The record of one enrolment around its results block: identity from the store.
#[allow(clippy::too_many_arguments)]
fn assemble(
    inputs: &YearInputs,
    school: &store::School,
    homeroom: &str,
    level: Level,
    created: Date,
    version: NonZeroU32,
    supersedes: Option<Supersedes>,
    results: Results,
) -> Result<Record, BuildError> {
    let text = |s: &str, what: &str| {
        Text::new(s).map_err(|e| BuildError::Invalid(format!("{what} {s:?}: {e}")))
    };
    let s = &inputs.student;
    Ok(Record {
        id: record_id(&s.code, &school.code, inputs.class.year, version),
        version,
        created,
        supersedes,
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
        results,
    })
}

fn code(s: &str) -> Result<Code, BuildError> {
    s.parse()
        .map_err(|e| BuildError::Invalid(format!("code {s:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_and_iso_times() {
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(20_782).to_string(), "2026-11-25");
        assert_eq!(civil_from_days(11_016).to_string(), "2000-02-29");
        assert_eq!(iso_utc(1_780_000_000), "2026-05-28T20:26:40Z");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
    }
}
