//! Assessment inputs drawn so that each student lands in a chosen outcome.

use domain::catalogue::{AssessmentForm, Offering, PeriodicTests};
use domain::tt22::{
    self, Blocker, Comment, Rating, Retake, SemesterScores, StudentYear, SubjectEntry,
    SubjectMarks, Summer, Title, YearOutcome,
};
use domain::tt27::{
    self, Checkpoint, Competence, Mastery, Overall, PrimarySubject, PupilYear, Quality,
};
use domain::{Grade, Level, Score, tt43};

use crate::Year;
use crate::rng::Rng;

/// The outcome a demo student is drawn to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Học sinh Xuất sắc (primary: Hoàn thành xuất sắc).
    Excellent,
    /// Học sinh Giỏi (primary: Hoàn thành tốt, recognised as Tiêu biểu).
    Good,
    /// Learning Khá, promoted (primary: Hoàn thành tốt).
    Fair,
    /// Learning Đạt, promoted (primary: Hoàn thành).
    Pass,
    /// Learning Chưa đạt, re-assessed in summer and then promoted.
    Reassessed,
    /// Year conduct Chưa đạt, summer training, then promoted.
    SummerTraining,
    /// Not promoted: learning still Chưa đạt after re-assessment (primary: Chưa hoàn
    /// thành).
    Retained,
    /// Good results but more than 45 days absent: not promoted.
    Absent,
    /// An ordinary student without a personal ID yet: cannot be signed.
    NoPersonalId,
}

/// One subject at one checkpoint: the checkpoint, the level reached and the periodic
/// test (when one is taken there).
pub type CheckpointMark = (Checkpoint, tt27::SubjectLevel, Option<tt27::TestScore>);

/// A primary pupil's assessments before the year end (TT27 art. 6–7): each subject's
/// level and periodic test at giữa kì I, cuối kì I and giữa kì II, and the semester I
/// ratings of qualities and competences.
#[derive(Debug, Clone)]
pub struct PrimaryEarlier {
    /// Per subject code: the three earlier checkpoints with level and test (if taken).
    pub subjects: Vec<(String, [CheckpointMark; 3])>,
    /// Qualities at the end of semester I.
    pub qualities_hk1: Vec<(Quality, Mastery)>,
    /// Competences at the end of semester I.
    pub competences_hk1: Vec<(Competence, Mastery)>,
}

/// The profiles of one class: every outcome at least once, then a realistic mix.
pub(crate) fn profiles(rng: &mut Rng, level: Level, n: usize) -> Vec<Profile> {
    use Profile::*;
    let mut v = if level == Level::Primary {
        vec![Excellent, Good, Retained, NoPersonalId]
    } else {
        vec![
            Excellent,
            Good,
            Reassessed,
            SummerTraining,
            Retained,
            Absent,
            NoPersonalId,
        ]
    };
    while v.len() < n {
        let roll = rng.below(100);
        v.push(match roll {
            0..=14 => Excellent,
            15..=39 => Good,
            40..=74 => Fair,
            _ => Pass,
        });
    }
    // Shuffle so outcomes do not line up with the roll order (Fisher–Yates).
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
    v
}

/// Which profile a computed TT22/TT43 outcome belongs to (primary outcomes are drawn
/// directly). Used to check that drawn inputs really give the intended outcome.
pub fn classify_secondary(outcome: &YearOutcome) -> Profile {
    if outcome.blockers.contains(&Blocker::Absence) {
        return Profile::Absent;
    }
    if !outcome.promoted() {
        return Profile::Retained;
    }
    if outcome.summer_training {
        return Profile::SummerTraining;
    }
    if !outcome.reassessment.is_empty() {
        return Profile::Reassessed;
    }
    match (outcome.title, outcome.learning.year) {
        (Some(Title::Excellent), _) => Profile::Excellent,
        (Some(Title::Good), _) => Profile::Good,
        (None, Rating::Tot | Rating::Kha) => Profile::Fair,
        _ => Profile::Pass,
    }
}

pub(crate) fn year(
    rng: &mut Rng,
    level: Level,
    grade: Grade,
    offerings: &[Offering],
    profile: Profile,
) -> Year {
    match level {
        Level::Primary => Year::Primary(primary(rng, grade, offerings, profile)),
        _ => Year::Secondary(secondary(rng, level, grade, offerings, profile)),
    }
}

/// Draws TT22/TT43 inputs until the engine classifies them as `profile`.
fn secondary(
    rng: &mut Rng,
    level: Level,
    grade: Grade,
    offerings: &[Offering],
    profile: Profile,
) -> StudentYear {
    let target = match profile {
        Profile::NoPersonalId => Profile::Fair,
        p => p,
    };
    let evaluate = |y: &StudentYear| match level {
        Level::Continuing => tt43::evaluate(y),
        _ => tt22::evaluate(y),
    };
    let mut last = None;
    for _ in 0..500 {
        let mut y = draw_secondary(rng, grade, offerings, target);
        let Ok(first) = evaluate(&y) else { continue };
        add_summer(rng, &mut y, &first, target);
        match evaluate(&y) {
            Ok(outcome) if classify_secondary(&outcome) == target => return y,
            _ => last = Some(y),
        }
    }
    // The draws above hit every profile within a few tries; keep the last draw rather
    // than fail, the seeding test checks every profile is present.
    last.unwrap_or_else(|| draw_secondary(rng, grade, offerings, target))
}

/// Score level (in tenths) around which a profile's subjects are drawn.
fn centre(rng: &mut Rng, profile: Profile, subject_index: usize) -> u32 {
    match profile {
        Profile::Excellent => rng.range(90, 98),
        Profile::Good => {
            if subject_index < 4 {
                rng.range(85, 92)
            } else {
                rng.range(80, 86)
            }
        }
        Profile::Fair => rng.range(68, 80),
        Profile::Pass | Profile::SummerTraining | Profile::NoPersonalId => rng.range(52, 64),
        Profile::Absent => rng.range(65, 80),
        Profile::Reassessed | Profile::Retained => {
            if subject_index < 2 {
                rng.range(22, 32)
            } else {
                rng.range(50, 62)
            }
        }
    }
}

fn score_near(rng: &mut Rng, centre: u32, spread: u32, half_points: bool) -> Score {
    let lo = centre.saturating_sub(spread);
    let hi = (centre + spread).min(100);
    let mut t = rng.range(lo, hi);
    if half_points {
        t = (t / 5) * 5;
    }
    Score::from_tenths(t.min(100)).unwrap_or(Score::MAX)
}

fn draw_secondary(
    rng: &mut Rng,
    grade: Grade,
    offerings: &[Offering],
    profile: Profile,
) -> StudentYear {
    let mut scored_index = 0;
    let subjects = offerings
        .iter()
        .map(|o| {
            let marks = match o.form {
                AssessmentForm::Comment => {
                    let fail = matches!(profile, Profile::Retained) && rng.chance(10);
                    let c = if fail { Comment::ChuaDat } else { Comment::Dat };
                    SubjectMarks::Commented {
                        hk1: Comment::Dat,
                        hk2: c,
                    }
                }
                _ => {
                    let c = centre(rng, profile, scored_index);
                    scored_index += 1;
                    let n = usize::from(o.regular_assessments());
                    let mut semester = |c: u32| SemesterScores {
                        regular: (0..n).map(|_| score_near(rng, c, 10, true)).collect(),
                        midterm: score_near(rng, c, 8, true),
                        final_term: score_near(rng, c, 8, false),
                    };
                    SubjectMarks::Scored {
                        hk1: semester(c.saturating_sub(3)),
                        hk2: semester(c),
                    }
                }
            };
            SubjectEntry {
                code: o.subject.code().to_string(),
                marks,
            }
        })
        .collect();
    let (c1, c2) = match profile {
        Profile::Excellent | Profile::Good => (Rating::Tot, Rating::Tot),
        Profile::SummerTraining => (Rating::ChuaDat, Rating::ChuaDat),
        Profile::Pass => (Rating::Kha, Rating::Dat),
        _ => (
            *rng.pick(&[Rating::Tot, Rating::Kha]),
            *rng.pick(&[Rating::Tot, Rating::Kha]),
        ),
    };
    let absent_days = match profile {
        Profile::Absent => rng.range(46, 60),
        _ => rng.range(0, 8),
    };
    StudentYear {
        grade: Some(grade),
        subjects,
        conduct_hk1: c1,
        conduct_hk2: c2,
        absent_days,
        summer: Summer::default(),
    }
}

/// Summer results: re-assessed subjects pass (or, for `Retained`, fail again) and
/// retrained conduct reaches Đạt.
fn add_summer(rng: &mut Rng, y: &mut StudentYear, first: &YearOutcome, profile: Profile) {
    let pass = profile != Profile::Retained;
    y.summer.retakes = first
        .reassessment
        .iter()
        .map(|code| {
            let is_comment = y
                .subjects
                .iter()
                .any(|s| &s.code == code && matches!(s.marks, SubjectMarks::Commented { .. }));
            let retake = match (is_comment, pass) {
                (true, true) => Retake::Comment(Comment::Dat),
                (true, false) => Retake::Comment(Comment::ChuaDat),
                (false, true) => Retake::Score(score_near(rng, 62, 8, true)),
                (false, false) => Retake::Score(score_near(rng, 30, 5, true)),
            };
            (code.clone(), retake)
        })
        .collect();
    if first.summer_training {
        y.summer.conduct_retrained = Some(Rating::Dat);
    }
}

fn primary(rng: &mut Rng, grade: Grade, offerings: &[Offering], profile: Profile) -> PupilYear {
    let (level, mastery, test_range) = match profile {
        Profile::Excellent => (tt27::SubjectLevel::HoanThanhTot, Mastery::Tot, (9, 10)),
        Profile::Good => (tt27::SubjectLevel::HoanThanhTot, Mastery::Tot, (7, 8)),
        Profile::Fair | Profile::NoPersonalId => {
            (tt27::SubjectLevel::HoanThanh, Mastery::Dat, (6, 9))
        }
        Profile::Retained => (
            tt27::SubjectLevel::ChuaHoanThanh,
            Mastery::CanCoGang,
            (2, 4),
        ),
        _ => (tt27::SubjectLevel::HoanThanh, Mastery::Dat, (5, 7)),
    };
    let subjects = offerings
        .iter()
        .map(|o| PrimarySubject {
            code: o.subject.code().to_string(),
            level,
            test: (o.tests != PeriodicTests::None).then(|| {
                let n = rng.range(test_range.0, test_range.1) as u8;
                tt27::TestScore::new(n).unwrap_or_else(|_| unreachable!("1-10"))
            }),
        })
        .collect();
    PupilYear {
        grade: Some(grade),
        subjects,
        qualities: Quality::ALL.iter().map(|q| (*q, mastery)).collect(),
        competences: Competence::ALL.iter().map(|c| (*c, mastery)).collect(),
        exemplary: profile == Profile::Good,
    }
}

/// Draws the earlier checkpoints of a primary year (giữa kì I, cuối kì I, giữa kì II) and
/// the semester I ratings of qualities and competences, close to the year-end values:
/// the same level, and tests within one point of the year-end test.
pub(crate) fn primary_earlier(
    rng: &mut Rng,
    offerings: &[Offering],
    year: &PupilYear,
) -> PrimaryEarlier {
    let earlier = [
        Checkpoint::MidSemester1,
        Checkpoint::EndSemester1,
        Checkpoint::MidSemester2,
    ];
    let subjects = year
        .subjects
        .iter()
        .map(|s| {
            let tests = offerings
                .iter()
                .find(|o| o.subject.code() == s.code)
                .map_or(PeriodicTests::None, |o| o.tests);
            let marks = earlier.map(|cp| {
                let test = (tests.at(cp)).then(|| {
                    let base = s.test.map_or(7, tt27::TestScore::get);
                    let n = (i32::from(base) + rng.range(0, 2) as i32 - 1).clamp(1, 10) as u8;
                    tt27::TestScore::new(n).unwrap_or_else(|_| unreachable!("clamped to 1-10"))
                });
                (cp, s.level, test)
            });
            (s.code.clone(), marks)
        })
        .collect();
    PrimaryEarlier {
        subjects,
        qualities_hk1: year.qualities.clone(),
        competences_hk1: year.competences.clone(),
    }
}

/// The profile a primary outcome shows (for checks).
pub fn classify_primary(outcome: &tt27::PupilOutcome) -> Profile {
    match outcome.overall {
        Overall::HoanThanhXuatSac => Profile::Excellent,
        Overall::HoanThanhTot => Profile::Good,
        Overall::HoanThanh => Profile::Pass,
        Overall::ChuaHoanThanh => Profile::Retained,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::{DEFAULT_SEED, generate};

    #[test]
    fn every_secondary_student_gets_the_outcome_drawn_for_them() {
        let data = generate(DEFAULT_SEED);
        for school in &data.schools {
            let mut seen = HashSet::new();
            for s in school.classes.iter().flat_map(|c| &c.students) {
                match &s.year {
                    Year::Secondary(y) => {
                        let outcome = match school.level {
                            Level::Continuing => tt43::evaluate(y),
                            _ => tt22::evaluate(y),
                        }
                        .expect("demo inputs are valid");
                        let want = match s.profile {
                            Profile::NoPersonalId => Profile::Fair,
                            p => p,
                        };
                        assert_eq!(classify_secondary(&outcome), want, "{}", s.full_name);
                        seen.insert(s.profile);
                    }
                    Year::Primary(y) => {
                        let outcome = tt27::evaluate(y).expect("demo inputs are valid");
                        let got = classify_primary(&outcome);
                        match s.profile {
                            Profile::Excellent | Profile::Retained | Profile::Good => {
                                assert_eq!(got, s.profile, "{}", s.full_name)
                            }
                            _ => assert!(
                                matches!(got, Profile::Good | Profile::Pass),
                                "{}",
                                s.full_name
                            ),
                        }
                        seen.insert(s.profile);
                    }
                }
            }
            let expected: &[Profile] = if school.level == Level::Primary {
                &[
                    Profile::Excellent,
                    Profile::Good,
                    Profile::Retained,
                    Profile::NoPersonalId,
                ]
            } else {
                &[
                    Profile::Excellent,
                    Profile::Good,
                    Profile::Fair,
                    Profile::Pass,
                    Profile::Reassessed,
                    Profile::SummerTraining,
                    Profile::Retained,
                    Profile::Absent,
                    Profile::NoPersonalId,
                ]
            };
            for p in expected {
                assert!(seen.contains(p), "{}: no {p:?} student", school.name);
            }
        }
    }
}
