//! `hocba rules eval`: one JSON object in on stdin, one JSON object out on stdout.
//!
//! The contract is documented in `docs/rules-cli.md`. This module is only the boundary:
//! it maps JSON to the `domain` types (which are not serialisable), calls the rule
//! engine, and maps the outcome back. Every input problem is reported at once, each line
//! naming the field (`subjects[0].hk1.tx[2]: …`); the exit code is then 2.

use std::fmt::Display;
use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use domain::tt22::{
    self, Comment, Rating, Retake, SemesterScores, StudentYear, SubjectEntry, SubjectMarks, Summer,
};
use domain::tt27::{
    self, Competence, Mastery, PrimarySubject, PupilYear, Quality, SubjectLevel, TestScore,
};
use domain::{Grade, RuleVersion, Score, ScoreError};
use serde::Serialize;
use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

/// `hocba rules …`
#[derive(Subcommand)]
pub enum Command {
    /// Read one student's assessment as JSON on stdin and print the computed results.
    ///
    /// Input `{"rule":"TT22"|"TT43"|"TT27", …}`; see docs/rules-cli.md. Exit 0 on
    /// success, 2 on invalid input (every problem listed on stderr, naming the field).
    Eval,
}

/// Runs a `rules` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Eval => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the JSON input from stdin")?;
            match eval(&text) {
                Ok(json) => {
                    println!("{json}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => {
                    eprintln!(
                        "error: invalid input ({} problem{}):",
                        problems.len(),
                        plural(problems.len())
                    );
                    for p in problems {
                        eprintln!("  {p}");
                    }
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

/// Evaluates one JSON input text: the output JSON text, or every problem found, each
/// starting with the path of the field it is about.
pub fn eval(text: &str) -> Result<String, Vec<String>> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| vec![format!("input: not valid JSON: {e}")])?;
    let Value::Object(top) = &value else {
        return Err(vec![format!(
            "input: expected a JSON object, got {}",
            kind(&value)
        )]);
    };
    let rule = match top.get("rule") {
        None => {
            return Err(vec![
                "rule: missing (expected \"TT22\", \"TT27\" or \"TT43\")".to_string(),
            ]);
        }
        Some(Value::String(s)) if s == "TT22" => RuleVersion::Tt22V1,
        Some(Value::String(s)) if s == "TT43" => RuleVersion::Tt43V1,
        Some(Value::String(s)) if s == "TT27" => RuleVersion::Tt27V1,
        Some(other) => {
            return Err(vec![format!(
                "rule: unknown rule {other}: expected \"TT22\", \"TT27\" or \"TT43\""
            )]);
        }
    };
    if rule == RuleVersion::Tt27V1 {
        eval_tt27(top)
    } else {
        eval_secondary(rule, top)
    }
}

// ---------------------------------------------------------------------------------------
// TT22 / TT43

/// The TT22/TT43 output. Field order is the contract's.
#[derive(Serialize)]
struct SecondaryOut {
    subjects: Vec<SubjectOut>,
    learning: LearningOut,
    conduct: ConductOut,
    promoted: bool,
    title: Option<&'static str>,
    rule_version: &'static str,
    summer_training: bool,
    reassessment_subjects: Vec<String>,
    not_promoted_because: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Serialize)]
struct SubjectOut {
    code: String,
    hk1: String,
    hk2: String,
    year: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retake: Option<String>,
}

#[derive(Serialize)]
struct LearningOut {
    hk1: &'static str,
    hk2: &'static str,
    year: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    year_after_retake: Option<&'static str>,
}

#[derive(Serialize)]
struct ConductOut {
    hk1: &'static str,
    hk2: &'static str,
    year: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    year_after_training: Option<&'static str>,
}

const SECONDARY_KEYS: &[&str] = &[
    "rule",
    "grade",
    "subjects",
    "conduct",
    "absent_days",
    "retake",
    "conduct_retrained",
];

fn eval_secondary(rule: RuleVersion, top: &Map<String, Value>) -> Result<String, Vec<String>> {
    let mut p = Problems::default();
    p.unknown_keys(top, "", SECONDARY_KEYS);
    let grade = optional(top, "grade").and_then(|v| grade(v, &mut p));
    let subjects =
        required(top, "", "subjects", &mut p).and_then(|v| secondary_subjects(v, &mut p));
    let conduct = required(top, "", "conduct", &mut p).and_then(|v| {
        let obj = object(v, "conduct", &mut p)?;
        p.unknown_keys(obj, "conduct", &["hk1", "hk2"]);
        let hk1 = required(obj, "conduct", "hk1", &mut p)
            .and_then(|v| label::<Rating>(v, "conduct.hk1", &mut p));
        let hk2 = required(obj, "conduct", "hk2", &mut p)
            .and_then(|v| label::<Rating>(v, "conduct.hk2", &mut p));
        Some((hk1?, hk2?))
    });
    let absent_days =
        required(top, "", "absent_days", &mut p).and_then(|v| count(v, "absent_days", &mut p));
    let retakes = optional(top, "retake")
        .and_then(|v| retakes(v, &mut p))
        .unwrap_or_default();
    let conduct_retrained = optional(top, "conduct_retrained")
        .and_then(|v| label::<Rating>(v, "conduct_retrained", &mut p));
    p.finish()?;
    let (Some(subjects), Some((conduct_hk1, conduct_hk2)), Some(absent_days)) =
        (subjects, conduct, absent_days)
    else {
        return Err(vec!["input: incomplete".to_string()]);
    };

    let input = StudentYear {
        grade,
        subjects,
        conduct_hk1,
        conduct_hk2,
        absent_days,
        summer: Summer {
            retakes,
            conduct_retrained,
        },
    };
    let outcome = tt22::evaluate_with(rule, &input).map_err(|problems| {
        problems
            .iter()
            .map(|problem| format!("{}: {problem}", secondary_path(problem)))
            .collect::<Vec<_>>()
    })?;

    let out = SecondaryOut {
        subjects: outcome
            .subjects
            .iter()
            .map(|s| SubjectOut {
                code: s.code.clone(),
                hk1: s.marks.hk1.to_string(),
                hk2: s.marks.hk2.to_string(),
                year: s.marks.year.to_string(),
                retake: s.retake.map(|r| r.to_string()),
            })
            .collect(),
        learning: LearningOut {
            hk1: outcome.learning.hk1.label(),
            hk2: outcome.learning.hk2.label(),
            year: outcome.learning.year.label(),
            year_after_retake: outcome.learning_after_retake.map(Rating::label),
        },
        conduct: ConductOut {
            hk1: outcome.conduct.hk1.label(),
            hk2: outcome.conduct.hk2.label(),
            year: outcome.conduct.year.label(),
            year_after_training: outcome.conduct_after_training.map(Rating::label),
        },
        promoted: outcome.promoted(),
        title: outcome.title.map(|t| t.label(outcome.rule)),
        rule_version: outcome.rule.id(),
        summer_training: outcome.summer_training,
        reassessment_subjects: outcome.reassessment.clone(),
        not_promoted_because: outcome.blockers.iter().map(|b| b.key()).collect(),
        notes: outcome.notes.iter().map(|n| n.to_string()).collect(),
    };
    to_json(&out)
}

fn secondary_subjects(v: &Value, p: &mut Problems) -> Option<Vec<SubjectEntry>> {
    let items = array(v, "subjects", p)?;
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match secondary_subject(item, &format!("subjects[{i}]"), p) {
            Some(entry) => out.push(entry),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn secondary_subject(v: &Value, path: &str, p: &mut Problems) -> Option<SubjectEntry> {
    let obj = object(v, path, p)?;
    p.unknown_keys(obj, path, &["code", "assessment", "hk1", "hk2"]);
    let code = required(obj, path, "code", p).and_then(|v| code(v, &format!("{path}.code"), p));
    let assessment = required(obj, path, "assessment", p).and_then(|v| match v {
        Value::String(s) if s == "score" || s == "comment" => Some(s.as_str()),
        other => {
            p.push(
                format!("{path}.assessment"),
                format!("expected \"score\" or \"comment\", got {other}"),
            );
            None
        }
    });
    let hk1 = required(obj, path, "hk1", p);
    let hk2 = required(obj, path, "hk2", p);
    let (code, assessment, hk1, hk2) = (code?, assessment?, hk1?, hk2?);
    let marks = if assessment == "score" {
        let s1 = semester_scores(hk1, &format!("{path}.hk1"), p);
        let s2 = semester_scores(hk2, &format!("{path}.hk2"), p);
        SubjectMarks::Scored { hk1: s1?, hk2: s2? }
    } else {
        let c1 = label::<Comment>(hk1, &format!("{path}.hk1"), p);
        let c2 = label::<Comment>(hk2, &format!("{path}.hk2"), p);
        SubjectMarks::Commented { hk1: c1?, hk2: c2? }
    };
    Some(SubjectEntry { code, marks })
}

fn semester_scores(v: &Value, path: &str, p: &mut Problems) -> Option<SemesterScores> {
    let obj = object(v, path, p)?;
    p.unknown_keys(obj, path, &["tx", "gk", "ck"]);
    let regular = required(obj, path, "tx", p).and_then(|v| {
        let items = array(v, &format!("{path}.tx"), p)?;
        let scores: Vec<Option<Score>> = items
            .iter()
            .enumerate()
            .map(|(i, x)| score(x, &format!("{path}.tx[{i}]"), p))
            .collect();
        scores.into_iter().collect::<Option<Vec<_>>>()
    });
    let midterm = required(obj, path, "gk", p).and_then(|v| score(v, &format!("{path}.gk"), p));
    let final_term = required(obj, path, "ck", p).and_then(|v| score(v, &format!("{path}.ck"), p));
    Some(SemesterScores {
        regular: regular?,
        midterm: midterm?,
        final_term: final_term?,
    })
}

/// `"retake": {"TOAN": "6.0", "GDTC": "Đạt"}`: a score (number or numeric string) for a
/// scored subject, a comment label for a comment subject.
fn retakes(v: &Value, p: &mut Problems) -> Option<Vec<(String, Retake)>> {
    let obj = object(v, "retake", p)?;
    let mut out = Vec::new();
    for (code, value) in obj {
        let path = format!("retake.{code}");
        let retake = match value {
            Value::String(s) => {
                let s = nfc(s);
                if let Ok(c) = s.parse::<Comment>() {
                    Some(Retake::Comment(c))
                } else {
                    match s.parse::<Score>() {
                        Ok(score) => Some(Retake::Score(score)),
                        Err(e) => {
                            p.push(
                                path,
                                format!("expected a score 0–10 or \"Đạt\"/\"Chưa đạt\": {e}"),
                            );
                            None
                        }
                    }
                }
            }
            other => score(other, &path, p).map(Retake::Score),
        };
        if let Some(r) = retake {
            out.push((code.clone(), r));
        }
    }
    Some(out)
}

fn secondary_path(problem: &tt22::Problem) -> String {
    use tt22::Problem as P;
    match problem {
        P::GradeOutsideLevel { .. } => "grade".to_string(),
        P::NoSubjects => "subjects".to_string(),
        P::DuplicateSubject { index, .. } | P::NotInProgramme { index, .. } => {
            format!("subjects[{index}].code")
        }
        P::WrongForm { index, .. } => format!("subjects[{index}].assessment"),
        P::WrongRegularCount {
            index, semester, ..
        } => format!("subjects[{index}].{}.tx", semester.key()),
        P::RetakeUnknownSubject { code }
        | P::RetakeWrongForm { code, .. }
        | P::DuplicateRetake { code } => {
            format!("retake.{code}")
        }
        _ => "input".to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// TT27

#[derive(Serialize)]
struct PrimaryOut {
    overall: &'static str,
    title: Option<&'static str>,
    rule_version: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

const PRIMARY_KEYS: &[&str] = &[
    "rule",
    "grade",
    "subjects",
    "qualities",
    "competences",
    "tieu_bieu",
];

fn eval_tt27(top: &Map<String, Value>) -> Result<String, Vec<String>> {
    let mut p = Problems::default();
    p.unknown_keys(top, "", PRIMARY_KEYS);
    let grade = optional(top, "grade").and_then(|v| grade(v, &mut p));
    let subjects = required(top, "", "subjects", &mut p).and_then(|v| {
        let items = array(v, "subjects", &mut p)?;
        let parsed: Vec<Option<PrimarySubject>> = items
            .iter()
            .enumerate()
            .map(|(i, x)| primary_subject(x, &format!("subjects[{i}]"), &mut p))
            .collect();
        parsed.into_iter().collect::<Option<Vec<_>>>()
    });
    let qualities = required(top, "", "qualities", &mut p).and_then(|v| {
        let keys: Vec<&str> = Quality::ALL.iter().map(|q| q.key()).collect();
        ratings(v, "qualities", &keys, Quality::from_key, &mut p)
    });
    let competences = required(top, "", "competences", &mut p).and_then(|v| {
        let keys: Vec<&str> = Competence::ALL.iter().map(|c| c.key()).collect();
        ratings(v, "competences", &keys, Competence::from_key, &mut p)
    });
    let exemplary = match optional(top, "tieu_bieu") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            p.push(
                "tieu_bieu".to_string(),
                format!("expected true or false, got {}", kind(other)),
            );
            false
        }
    };
    p.finish()?;
    let (Some(subjects), Some(qualities), Some(competences)) = (subjects, qualities, competences)
    else {
        return Err(vec!["input: incomplete".to_string()]);
    };
    let input = PupilYear {
        grade,
        subjects,
        qualities,
        competences,
        exemplary,
    };
    let outcome = tt27::evaluate(&input).map_err(|problems| {
        problems
            .iter()
            .map(|problem| format!("{}: {problem}", primary_path(problem)))
            .collect::<Vec<_>>()
    })?;
    let mut notes = Vec::new();
    if outcome.exemplary_ignored {
        notes.push(
            "tieu_bieu ignored: Học sinh Tiêu biểu needs the overall result Hoàn thành tốt"
                .to_string(),
        );
    }
    let out = PrimaryOut {
        overall: outcome.overall.label(),
        title: outcome.title.map(tt27::Title::label),
        rule_version: outcome.rule.id(),
        notes,
    };
    to_json(&out)
}

fn primary_subject(v: &Value, path: &str, p: &mut Problems) -> Option<PrimarySubject> {
    let obj = object(v, path, p)?;
    p.unknown_keys(obj, path, &["code", "level", "test"]);
    let code = required(obj, path, "code", p).and_then(|v| code(v, &format!("{path}.code"), p));
    let level = required(obj, path, "level", p)
        .and_then(|v| label::<SubjectLevel>(v, &format!("{path}.level"), p));
    let test = match obj.get("test") {
        None | Some(Value::Null) => Some(None),
        Some(v) => {
            let n = v
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .and_then(|n| TestScore::new(n).ok());
            if n.is_none() {
                p.push(
                    format!("{path}.test"),
                    format!("periodic test score must be an integer from 1 to 10, got {v}"),
                );
                None
            } else {
                Some(n)
            }
        }
    };
    Some(PrimarySubject {
        code: code?,
        level: level?,
        test: test?,
    })
}

fn ratings<K>(
    v: &Value,
    path: &str,
    keys: &[&str],
    from_key: fn(&str) -> Option<K>,
    p: &mut Problems,
) -> Option<Vec<(K, Mastery)>> {
    let obj = object(v, path, p)?;
    p.unknown_keys(obj, path, keys);
    let mut out = Vec::new();
    let mut ok = true;
    for (key, value) in obj {
        let Some(k) = from_key(key) else { continue };
        match label::<Mastery>(value, &format!("{path}.{key}"), p) {
            Some(m) => out.push((k, m)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn primary_path(problem: &tt27::Problem) -> String {
    use tt27::Problem as P;
    match problem {
        P::GradeOutsideLevel(_) => "grade".to_string(),
        P::NoSubjects => "subjects".to_string(),
        P::DuplicateSubject { index, .. } | P::NotInProgramme { index, .. } => {
            format!("subjects[{index}].code")
        }
        P::MissingTest { index, .. } | P::UnexpectedTest { index, .. } => {
            format!("subjects[{index}].test")
        }
        P::Missing { key } | P::Duplicate { key } => {
            let group = if Quality::from_key(key).is_some() {
                "qualities"
            } else {
                "competences"
            };
            format!("{group}.{key}")
        }
        _ => "input".to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// JSON helpers. Each returns `None` after recording a problem, so parsing goes on and
// every problem is reported.

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, path: String, message: impl Display) {
        self.0.push(format!("{path}: {message}"));
    }

    fn unknown_keys(&mut self, obj: &Map<String, Value>, path: &str, allowed: &[&str]) {
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                let expected = allowed
                    .iter()
                    .map(|k| format!("\"{k}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.push(
                    join(path, key),
                    format!("unknown key (expected one of {expected})"),
                );
            }
        }
    }

    fn finish(&mut self) -> Result<(), Vec<String>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(std::mem::take(&mut self.0))
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn required<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
    p: &mut Problems,
) -> Option<&'a Value> {
    let v = obj.get(key);
    if v.is_none() {
        p.push(join(path, key), "missing");
    }
    v
}

/// An optional top-level field; `null` counts as absent.
fn optional<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn object<'a>(v: &'a Value, path: &str, p: &mut Problems) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(o) => Some(o),
        other => {
            p.push(
                path.to_string(),
                format!("expected an object, got {}", kind(other)),
            );
            None
        }
    }
}

fn array<'a>(v: &'a Value, path: &str, p: &mut Problems) -> Option<&'a Vec<Value>> {
    match v {
        Value::Array(a) => Some(a),
        other => {
            p.push(
                path.to_string(),
                format!("expected an array, got {}", kind(other)),
            );
            None
        }
    }
}

fn code(v: &Value, path: &str, p: &mut Problems) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        other => {
            p.push(
                path.to_string(),
                format!("expected a non-empty subject code, got {other}"),
            );
            None
        }
    }
}

/// A Vietnamese label, compared after NFC normalisation so that decomposed input (as
/// some keyboards and macOS file names produce) matches.
fn label<T>(v: &Value, path: &str, p: &mut Problems) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: Display,
{
    match v {
        Value::String(s) => match nfc(s).parse::<T>() {
            Ok(t) => Some(t),
            Err(e) => {
                p.push(path.to_string(), e);
                None
            }
        },
        other => {
            p.push(
                path.to_string(),
                format!("expected a label (string), got {}", kind(other)),
            );
            None
        }
    }
}

/// A score 0–10 with at most one decimal, read from the number's text so that no binary
/// float is involved (`7.5` → 75 tenths; `8.55` is an error).
fn score(v: &Value, path: &str, p: &mut Problems) -> Option<Score> {
    let Value::Number(n) = v else {
        p.push(
            path.to_string(),
            format!("expected a score (number), got {}", kind(v)),
        );
        return None;
    };
    let text = n.to_string();
    match text.parse::<Score>() {
        Ok(s) => Some(s),
        Err(e) => {
            let out_of_range = matches!(e, ScoreError::OutOfRange(_))
                || text.starts_with('-')
                || n.as_f64().is_some_and(|f| f > 10.0);
            if out_of_range {
                p.push(
                    path.to_string(),
                    format!("score must be between 0 and 10, got {text}"),
                );
            } else {
                p.push(
                    path.to_string(),
                    format!("score must have at most one decimal, got {text}"),
                );
            }
            None
        }
    }
}

fn grade(v: &Value, p: &mut Problems) -> Option<Grade> {
    let g = v
        .as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .and_then(|n| Grade::new(n).ok());
    if g.is_none() {
        p.push(
            "grade".to_string(),
            format!("expected a grade from 1 to 12, got {v}"),
        );
    }
    g
}

fn count(v: &Value, path: &str, p: &mut Problems) -> Option<u32> {
    let n = v.as_u64().and_then(|n| u32::try_from(n).ok());
    if n.is_none() {
        p.push(
            path.to_string(),
            format!("expected a non-negative integer, got {v}"),
        );
    }
    n
}

/// Serialises an output struct. Plain structs of strings, booleans and vectors always
/// serialise; the error arm only keeps the function total. Structs (not `Value`) keep
/// the contract's field order.
fn to_json(out: &impl Serialize) -> Result<String, Vec<String>> {
    serde_json::to_string(out).map_err(|e| vec![format!("output: {e}")])
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
