//! Stored TT27 rows → `record::PrimaryInput`.

use domain::tt27::{self, Checkpoint, Competence, Mastery, Overall, Quality, SubjectLevel};
use domain::{Grade, Level};
use record::{Absences, PrimaryInput, PrimaryPeriod, PrimarySubject, Promotion, Rated, Text};
use store::convert::checkpoint_period;
use store::{QualityItem, QualityRating, SubjectCode, Tt27Level, Tt27Period, YearInputs};

use crate::records::BuildError;

/// Builds the record input of a primary pupil's year from the stored rows: every subject
/// with a stored evaluation, in the catalogue's order for the grade, with its four
/// checkpoints (level, periodic test where the catalogue has one, comment); the five
/// qualities and the competences rated at the end of semester I and of the year;
/// absences; the "Học sinh Tiêu biểu" flag.
///
/// Promotion is the default this builder proposes: **Lên lớp** when the engine's overall
/// result is not Chưa hoàn thành, otherwise **Ở lại lớp**. TT27 lets the school support a
/// pupil who has not completed the programme and assess them again before deciding, so
/// this is the default the school can later override, not the final word.
///
/// Everything missing is reported at once ([`BuildError::Incomplete`], the wording of
/// [`primary_gaps`]).
pub fn primary_record_input(inputs: &YearInputs) -> Result<PrimaryInput, BuildError> {
    let gaps = primary_gaps(inputs, &[]);
    if !gaps.is_empty() {
        return Err(BuildError::Incomplete(gaps.join("; ")));
    }
    let grade = inputs.class.grade;
    let mut subjects = Vec::new();
    for code in subject_codes(inputs) {
        let period = |cp: Checkpoint| -> Result<PrimaryPeriod, BuildError> {
            let row = row_of(inputs, &code, cp)
                .ok_or_else(|| BuildError::Incomplete(format!("{code}: {}", cp.name_vi())))?;
            let level = row
                .level
                .map(level_from_store)
                .ok_or_else(|| BuildError::Incomplete(format!("{code}: {}", cp.name_vi())))?;
            let test = match row.test_score {
                None => None,
                Some(n) => Some(tt27::TestScore::new(n).map_err(|e| {
                    BuildError::Invalid(format!("{code} {}: test {}", cp.name_vi(), e.0))
                })?),
            };
            Ok(PrimaryPeriod {
                level,
                test,
                comment: row
                    .comment
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| text(c, "comment"))
                    .transpose()?,
            })
        };
        let name = subject_name(code.as_str());
        subjects.push(PrimarySubject {
            code: code
                .as_str()
                .parse()
                .map_err(|e| BuildError::Invalid(format!("subject code {code}: {e}")))?,
            name: text(&name, "subject name")?,
            mid_hk1: period(Checkpoint::MidSemester1)?,
            end_hk1: period(Checkpoint::EndSemester1)?,
            mid_hk2: period(Checkpoint::MidSemester2)?,
            end_year: period(Checkpoint::EndOfYear)?,
        });
    }
    let mut qualities = Vec::new();
    for q in Quality::ALL {
        if let (Some(hk1), Some(year)) = (
            rating(inputs, q.key(), Tt27Period::EndFirst),
            rating(inputs, q.key(), Tt27Period::YearEnd),
        ) {
            qualities.push(Rated { key: q, hk1, year });
        }
    }
    let mut competences = Vec::new();
    for c in Competence::ALL {
        if let (Some(hk1), Some(year)) = (
            rating(inputs, c.key(), Tt27Period::EndFirst),
            rating(inputs, c.key(), Tt27Period::YearEnd),
        ) {
            competences.push(Rated { key: c, hk1, year });
        }
    }
    let absences = inputs.absences.unwrap_or_default();
    let mut input = PrimaryInput {
        subjects,
        qualities,
        competences,
        absences: Absences {
            excused: absences.excused_days,
            unexcused: absences.unexcused_days,
        },
        promotion: Promotion::Promoted,
        exemplary: inputs.outstanding.is_some(),
        homeroom_comment: None,
    };
    let outcome = tt27::evaluate(&input.to_pupil_year(grade)).map_err(|problems| {
        BuildError::Engine(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    input.promotion = default_promotion(outcome.overall);
    Ok(input)
}

/// The default promotion of a primary pupil (TT27 art. 11, verify): Lên lớp unless the
/// year-end result is Chưa hoàn thành; the school may decide otherwise after support and
/// a new assessment.
pub(crate) fn default_promotion(overall: Overall) -> Promotion {
    match overall {
        Overall::ChuaHoanThanh => Promotion::Retained,
        _ => Promotion::Promoted,
    }
}

/// Everything a primary pupil's record still lacks, in Vietnamese, one item per gap:
/// every checkpoint of every subject with a stored evaluation or in `assigned` (the
/// class's teaching assignments), its periodic tests where the catalogue has one, the
/// five qualities and three general competences at the end of semester I and of the
/// year, and competences rated at one of the two only. Empty when the record can be built.
pub fn primary_gaps(inputs: &YearInputs, assigned: &[SubjectCode]) -> Vec<String> {
    let grade = inputs.class.grade;
    let mut codes = subject_codes(inputs);
    for a in assigned {
        if !codes.contains(a) {
            codes.push(a.clone());
        }
    }
    let mut gaps = Vec::new();
    if codes.is_empty() {
        gaps.push("chưa có đánh giá môn học nào".to_owned());
    }
    for code in &codes {
        let name = subject_name(code.as_str());
        for cp in Checkpoint::ALL {
            let row = row_of(inputs, code, cp);
            if row.and_then(|r| r.level).is_none() {
                gaps.push(format!("{name}: chưa có mức đạt được {}", cp.name_vi()));
            }
            let tested = takes_test(grade, code.as_str(), cp);
            match row.and_then(|r| r.test_score) {
                None if tested => {
                    gaps.push(format!("{name}: chưa có điểm kiểm tra {}", cp.name_vi()))
                }
                Some(n) if !tested || !(1..=10).contains(&n) => gaps.push(format!(
                    "{name}: điểm kiểm tra {} không hợp lệ",
                    cp.name_vi()
                )),
                _ => {}
            }
        }
    }
    let periods = [Tt27Period::EndFirst, Tt27Period::YearEnd];
    let required = Quality::ALL.iter().map(|q| (q.key(), q.name_vi())).chain(
        Competence::ALL
            .iter()
            .filter(|c| c.is_general())
            .map(|c| (c.key(), c.name_vi())),
    );
    for (key, name) in required {
        for p in periods {
            if rating(inputs, key, p).is_none() {
                gaps.push(format!("{name}: chưa đánh giá {}", period_name(p)));
            }
        }
    }
    for c in Competence::ALL.iter().filter(|c| !c.is_general()) {
        let hk1 = rating(inputs, c.key(), Tt27Period::EndFirst).is_some();
        let year = rating(inputs, c.key(), Tt27Period::YearEnd).is_some();
        if hk1 != year {
            let p = if hk1 {
                Tt27Period::YearEnd
            } else {
                Tt27Period::EndFirst
            };
            gaps.push(format!("{}: chưa đánh giá {}", c.name_vi(), period_name(p)));
        }
    }
    gaps
}

/// Whether the catalogue has a periodic test of `code` at `cp` in `grade`.
pub(crate) fn takes_test(grade: Grade, code: &str, cp: Checkpoint) -> bool {
    domain::catalogue::programme(Level::Primary, grade)
        .unwrap_or_default()
        .iter()
        .find(|o| o.subject.code() == code)
        .is_some_and(|o| o.tests.at(cp))
}

/// The Vietnamese name of a subject code (the code itself when unknown).
pub(crate) fn subject_name(code: &str) -> String {
    domain::Subject::from_code(code)
        .map(|s| s.name_vi().to_string())
        .unwrap_or_else(|| code.to_owned())
}

/// "cuối học kì I" / "cuối năm học" for the two rating periods.
pub(crate) fn period_name(p: Tt27Period) -> &'static str {
    match p {
        Tt27Period::MidFirst => Checkpoint::MidSemester1.name_vi(),
        Tt27Period::EndFirst => Checkpoint::EndSemester1.name_vi(),
        Tt27Period::MidSecond => Checkpoint::MidSemester2.name_vi(),
        Tt27Period::YearEnd => Checkpoint::EndOfYear.name_vi(),
    }
}

pub(crate) fn level_from_store(l: Tt27Level) -> SubjectLevel {
    match l {
        Tt27Level::Excellent => SubjectLevel::HoanThanhTot,
        Tt27Level::Completed => SubjectLevel::HoanThanh,
        Tt27Level::NotCompleted => SubjectLevel::ChuaHoanThanh,
    }
}

pub(crate) fn mastery_from_store(r: QualityRating) -> Mastery {
    match r {
        QualityRating::Good => Mastery::Tot,
        QualityRating::Pass => Mastery::Dat,
        QualityRating::NeedsEffort => Mastery::CanCoGang,
    }
}

/// Subject codes with a stored evaluation, in the catalogue's order for the grade
/// (unknown codes last, by code).
fn subject_codes(inputs: &YearInputs) -> Vec<SubjectCode> {
    let order =
        domain::catalogue::programme(Level::Primary, inputs.class.grade).unwrap_or_default();
    let rank = |code: &str| {
        order
            .iter()
            .position(|o| o.subject.code() == code)
            .unwrap_or(usize::MAX)
    };
    let mut codes: Vec<SubjectCode> = inputs
        .tt27_subjects
        .iter()
        .map(|e| e.subject.clone())
        .collect();
    codes.sort_by(|a, b| (rank(a.as_str()), a).cmp(&(rank(b.as_str()), b)));
    codes.dedup();
    codes
}

fn row_of<'a>(
    inputs: &'a YearInputs,
    code: &SubjectCode,
    cp: Checkpoint,
) -> Option<&'a store::Tt27SubjectEvaluation> {
    let period = checkpoint_period(cp);
    inputs
        .tt27_subjects
        .iter()
        .find(|e| &e.subject == code && e.period == period)
}

fn rating(inputs: &YearInputs, key: &str, period: Tt27Period) -> Option<Mastery> {
    let item = QualityItem::from_code(key)?;
    inputs
        .tt27_qualities
        .iter()
        .find(|q| q.item == item && q.period == period)
        .map(|q| mastery_from_store(q.rating))
}

fn text(s: &str, what: &str) -> Result<Text, BuildError> {
    Text::new(s).map_err(|e| BuildError::Invalid(format!("{what} {s:?}: {e}")))
}
