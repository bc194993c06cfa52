//! Whole-record checks: consistency between blocks (run by the parser and available to
//! builders) and what stops a record from being signed.

use std::collections::HashSet;

use domain::{Level, PersonalIdError, RuleVersion};

use crate::mapping::names as n;
use crate::model::{Record, Results, SubjectAssessment};

/// Values that are valid one by one but contradict each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    /// The element concerned, relative to `DuLieu` (e.g. `LopHoc/MaKhoi`).
    pub element: String,
    /// What is wrong, in English.
    pub reason: String,
}

/// Why a record cannot be signed yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningBlocker {
    /// The student has no số định danh cá nhân yet (DOMAIN: such records go on a to-do
    /// list until the ID is issued).
    #[error("the student has no personal ID (số định danh cá nhân)")]
    MissingPersonalId,
    /// The personal ID contradicts the recorded sex or date of birth.
    #[error("personal ID does not match the student: {0}")]
    PersonalIdMismatch(PersonalIdError),
    /// The record is internally inconsistent.
    #[error("{}: {}", .0.element, .0.reason)]
    Inconsistent(Inconsistency),
}

/// Whether `rule` is a rule version of the family that assesses `level`.
pub fn rule_fits_level(rule: RuleVersion, level: Level) -> bool {
    matches!(
        (level, rule),
        (Level::Primary, RuleVersion::Tt27V1)
            | (
                Level::LowerSecondary | Level::UpperSecondary,
                RuleVersion::Tt22V1
            )
            | (Level::Continuing, RuleVersion::Tt43V1)
    )
}

impl Record {
    /// Every contradiction between blocks: grade outside the school's level, results of
    /// another level or rule, `ThayThe` on version 1 or pointing at itself, duplicate
    /// subject codes, averages above 10, qualities and competences mixed up or repeated.
    /// The parser rejects a document with any of them.
    pub fn inconsistencies(&self) -> Vec<Inconsistency> {
        let mut found = Vec::new();
        let mut push =
            |element: String, reason: String| found.push(Inconsistency { element, reason });
        let level = self.school.level;
        if !level.grades().contains(&self.class.grade.get()) {
            push(
                format!("{}/{}", n::CLASS, n::GRADE),
                format!(
                    "grade {} is not taught at level {}",
                    self.class.grade,
                    level.code()
                ),
            );
        }
        if let Some(s) = &self.supersedes {
            if self.version.get() < 2 {
                push(
                    n::SUPERSEDES.to_string(),
                    "a record of version 1 replaces nothing".to_string(),
                );
            }
            if s.id == self.id {
                push(
                    n::SUPERSEDES.to_string(),
                    "a record cannot replace itself".to_string(),
                );
            }
        }
        let rule = self.results.rule();
        let (block, primary) = match &self.results {
            Results::Secondary(_) => (n::SECONDARY, false),
            Results::Primary(_) => (n::PRIMARY, true),
        };
        if primary != (level == Level::Primary) {
            push(
                block.to_string(),
                format!("{block} does not fit level {}", level.code()),
            );
        }
        if !rule_fits_level(rule, level) {
            push(
                format!("{block}/{}", n::RULE),
                format!("rule {rule} does not assess level {}", level.code()),
            );
        }
        let mut codes = HashSet::new();
        match &self.results {
            Results::Secondary(r) => {
                for (i, s) in r.subjects.iter().enumerate() {
                    let at = format!("{block}/{}[{}]", n::SUBJECT, i + 1);
                    if !codes.insert(s.code.as_str()) {
                        push(at.clone(), format!("subject {} appears twice", s.code));
                    }
                    if let SubjectAssessment::Scored(a) = &s.assessment {
                        let averages = [a.hk1.average, a.hk2.average, a.year_average];
                        if averages.iter().any(|t| t.tenths() > 100) {
                            push(at, "an average is above 10.0".to_string());
                        }
                    }
                }
            }
            Results::Primary(r) => {
                for (i, s) in r.subjects.iter().enumerate() {
                    if !codes.insert(s.code.as_str()) {
                        push(
                            format!("{block}/{}[{}]", n::SUBJECT, i + 1),
                            format!("subject {} appears twice", s.code),
                        );
                    }
                }
                let qualities = r.qualities.iter().map(|q| (n::QUALITY, q.key.key()));
                let competences = r.competences.iter().map(|c| (n::COMPETENCE, c.key.key()));
                let mut seen = HashSet::new();
                for (name, key) in qualities.chain(competences) {
                    if !seen.insert(key) {
                        push(
                            format!("{block}/{name}[{}={key}]", n::ATTRIBUTE_CODE),
                            format!("{key} appears twice"),
                        );
                    }
                }
            }
        }
        found
    }

    /// Everything that stops the record from being signed (empty: it may be signed).
    pub fn signing_blockers(&self) -> Vec<SigningBlocker> {
        let mut blockers: Vec<SigningBlocker> = self
            .inconsistencies()
            .into_iter()
            .map(SigningBlocker::Inconsistent)
            .collect();
        match &self.student.personal_id {
            None => blockers.push(SigningBlocker::MissingPersonalId),
            Some(id) => {
                if let Err(e) = id.check_consistency(self.student.sex, self.student.born) {
                    blockers.push(SigningBlocker::PersonalIdMismatch(e));
                }
            }
        }
        blockers
    }

    /// `Ok` when [`Record::signing_blockers`] is empty.
    pub fn check_signable(&self) -> Result<(), Vec<SigningBlocker>> {
        let blockers = self.signing_blockers();
        if blockers.is_empty() {
            Ok(())
        } else {
            Err(blockers)
        }
    }
}
