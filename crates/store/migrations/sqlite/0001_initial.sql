-- Hocba store, initial schema (SQLite). Never edit after it lands: add a new migration.
--
-- Keying for scale-out: every per-student table carries `student_code` as the first
-- column of its primary key. `student_code` is the intended Citus distribution column
-- (the PostgreSQL twin of this file says the same); small tables (schools, school years,
-- classes, teachers, roles, subject assignments) would become reference tables.
--
-- Dates are ISO `YYYY-MM-DD` text checked with `date(x) IS x`, scores are integer tenths
-- (8.5 is 85), booleans are 0/1. Tables are STRICT so a column never holds another type.

CREATE TABLE schools (
    id              INTEGER PRIMARY KEY,
    code            TEXT    NOT NULL UNIQUE
                    CHECK (length(code) BETWEEN 1 AND 20 AND code NOT GLOB '*[^0-9A-Za-z_.-]*'),
    name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    department_code TEXT    NOT NULL
                    CHECK (length(department_code) BETWEEN 1 AND 10 AND department_code NOT GLOB '*[^0-9A-Za-z]*'),
    authority_name  TEXT    NOT NULL CHECK (length(authority_name) BETWEEN 1 AND 300),
    address         TEXT    NOT NULL CHECK (length(address) <= 500)
) STRICT;

CREATE TABLE school_levels (
    school_id INTEGER NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    level     TEXT    NOT NULL CHECK (level IN ('TH', 'THCS', 'THPT', 'GDTX')),
    PRIMARY KEY (school_id, level)
) STRICT;

CREATE TABLE school_years (
    start_year INTEGER PRIMARY KEY CHECK (start_year BETWEEN 2000 AND 2199),
    starts_on  TEXT    NOT NULL CHECK (date(starts_on) IS starts_on),
    ends_on    TEXT    NOT NULL CHECK (date(ends_on) IS ends_on),
    CHECK (starts_on < ends_on)
) STRICT;

CREATE TABLE teachers (
    id            INTEGER PRIMARY KEY,
    school_id     INTEGER NOT NULL REFERENCES schools (id),
    full_name     TEXT    NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    username      TEXT    NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    password_hash TEXT,
    UNIQUE (id, school_id)
) STRICT;

CREATE INDEX teachers_school ON teachers (school_id, full_name);

CREATE TABLE teacher_roles (
    teacher_id INTEGER NOT NULL REFERENCES teachers (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL
               CHECK (role IN ('admin', 'principal', 'homeroom', 'subject_teacher', 'clerk')),
    PRIMARY KEY (teacher_id, role)
) STRICT;

CREATE TABLE classes (
    id                  INTEGER PRIMARY KEY,
    school_id           INTEGER NOT NULL REFERENCES schools (id),
    start_year          INTEGER NOT NULL REFERENCES school_years (start_year),
    grade               INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 12),
    name                TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    homeroom_teacher_id INTEGER,
    UNIQUE (school_id, start_year, name),
    -- The homeroom teacher must work at the class's school.
    FOREIGN KEY (homeroom_teacher_id, school_id) REFERENCES teachers (id, school_id)
) STRICT;

CREATE TABLE subject_assignments (
    class_id     INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    subject_code TEXT    NOT NULL
                 CHECK (length(subject_code) BETWEEN 1 AND 32 AND subject_code NOT GLOB '*[^A-Z0-9_]*'),
    teacher_id   INTEGER NOT NULL REFERENCES teachers (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, subject_code, teacher_id)
) STRICT;

CREATE INDEX subject_assignments_teacher ON subject_assignments (teacher_id);

-- Per-student tables from here on: distribution column `student_code`.

CREATE TABLE students (
    code           TEXT NOT NULL PRIMARY KEY
                   CHECK (length(code) = 20 AND code NOT GLOB '*[^0-9A-Z]*'),
    personal_id    TEXT UNIQUE
                   CHECK (length(personal_id) = 12 AND personal_id NOT GLOB '*[^0-9]*'),
    full_name      TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    sex            TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    born_on        TEXT NOT NULL CHECK (date(born_on) IS born_on),
    ethnicity      TEXT NOT NULL CHECK (length(ethnicity) <= 100),
    nationality    TEXT NOT NULL CHECK (length(nationality) <= 100),
    place_of_birth TEXT NOT NULL CHECK (length(place_of_birth) <= 300),
    residence      TEXT NOT NULL CHECK (length(residence) <= 500)
) STRICT, WITHOUT ROWID;

CREATE TABLE enrolments (
    student_code TEXT    NOT NULL REFERENCES students (code) ON UPDATE CASCADE,
    class_id     INTEGER NOT NULL REFERENCES classes (id),
    roll_no      INTEGER NOT NULL CHECK (roll_no BETWEEN 1 AND 999),
    PRIMARY KEY (student_code, class_id)
) STRICT, WITHOUT ROWID;

-- The class list in roll order. Not UNIQUE on purpose: renumbering a class after sorting
-- by name must not collide halfway, and a unique index without the distribution column
-- would not survive Citus. `enrol` refuses a roll number already taken.
CREATE INDEX enrolments_class_roll ON enrolments (class_id, roll_no);

-- TT22 / TT43: mid-term (ĐĐGgk) and final (ĐĐGck) per subject and semester.
CREATE TABLE subject_scores (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    subject_code TEXT    NOT NULL
                 CHECK (length(subject_code) BETWEEN 1 AND 32 AND subject_code NOT GLOB '*[^A-Z0-9_]*'),
    semester     INTEGER NOT NULL CHECK (semester IN (1, 2)),
    midterm      INTEGER CHECK (midterm BETWEEN 0 AND 100),
    final        INTEGER CHECK (final BETWEEN 0 AND 100),
    PRIMARY KEY (student_code, class_id, subject_code, semester),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX subject_scores_sheet ON subject_scores (class_id, subject_code, semester);

-- TT22 / TT43: regular assessments (ĐĐGtx), in entry order.
CREATE TABLE regular_scores (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    subject_code TEXT    NOT NULL,
    semester     INTEGER NOT NULL,
    ordinal      INTEGER NOT NULL CHECK (ordinal BETWEEN 1 AND 20),
    tenths       INTEGER NOT NULL CHECK (tenths BETWEEN 0 AND 100),
    PRIMARY KEY (student_code, class_id, subject_code, semester, ordinal),
    FOREIGN KEY (student_code, class_id, subject_code, semester)
        REFERENCES subject_scores (student_code, class_id, subject_code, semester)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- TT22 / TT43: subjects assessed by comment only, Đạt (1) / Chưa đạt (0) per semester.
CREATE TABLE comment_results (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    subject_code TEXT    NOT NULL
                 CHECK (length(subject_code) BETWEEN 1 AND 32 AND subject_code NOT GLOB '*[^A-Z0-9_]*'),
    semester     INTEGER NOT NULL CHECK (semester IN (1, 2)),
    passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
    PRIMARY KEY (student_code, class_id, subject_code, semester),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX comment_results_sheet ON comment_results (class_id, subject_code, semester);

-- Subject teacher's comment per term: HK1, HK2 or CN (whole year).
CREATE TABLE subject_comments (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    subject_code TEXT    NOT NULL
                 CHECK (length(subject_code) BETWEEN 1 AND 32 AND subject_code NOT GLOB '*[^A-Z0-9_]*'),
    term         TEXT    NOT NULL CHECK (term IN ('HK1', 'HK2', 'CN')),
    body         TEXT    NOT NULL CHECK (length(body) <= 2000),
    PRIMARY KEY (student_code, class_id, subject_code, term),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- Kết quả rèn luyện per semester, set by the homeroom teacher.
CREATE TABLE conduct (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    semester     INTEGER NOT NULL CHECK (semester IN (1, 2)),
    rating       TEXT    NOT NULL CHECK (rating IN ('tot', 'kha', 'dat', 'chua_dat')),
    PRIMARY KEY (student_code, class_id, semester),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- Days absent in the year, excused and unexcused.
CREATE TABLE absences (
    student_code   TEXT    NOT NULL,
    class_id       INTEGER NOT NULL,
    excused_days   INTEGER NOT NULL CHECK (excused_days BETWEEN 0 AND 366),
    unexcused_days INTEGER NOT NULL CHECK (unexcused_days BETWEEN 0 AND 366),
    PRIMARY KEY (student_code, class_id),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- Summer re-assessment of one subject: a score for scored subjects, Đạt / Chưa đạt for
-- comment subjects, never both.
CREATE TABLE summer_retakes (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    subject_code TEXT    NOT NULL
                 CHECK (length(subject_code) BETWEEN 1 AND 32 AND subject_code NOT GLOB '*[^A-Z0-9_]*'),
    tenths       INTEGER CHECK (tenths BETWEEN 0 AND 100),
    passed       INTEGER CHECK (passed IN (0, 1)),
    assessed_on  TEXT    NOT NULL CHECK (date(assessed_on) IS assessed_on),
    CHECK ((tenths IS NULL) <> (passed IS NULL)),
    PRIMARY KEY (student_code, class_id, subject_code),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- Conduct re-assessed after summer training.
CREATE TABLE summer_conduct (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    rating       TEXT    NOT NULL CHECK (rating IN ('tot', 'kha', 'dat', 'chua_dat')),
    assessed_on  TEXT    NOT NULL CHECK (date(assessed_on) IS assessed_on),
    PRIMARY KEY (student_code, class_id),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- TT27 (primary): level, periodic test (integer 1-10) and comment per subject and period
-- (GK1 mid-semester I, CK1 end of semester I, GK2 mid-semester II, CN year end).
CREATE TABLE tt27_subject_evaluations (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    subject_code TEXT    NOT NULL
                 CHECK (length(subject_code) BETWEEN 1 AND 32 AND subject_code NOT GLOB '*[^A-Z0-9_]*'),
    period       TEXT    NOT NULL CHECK (period IN ('GK1', 'CK1', 'GK2', 'CN')),
    level        TEXT    CHECK (level IN ('htt', 'ht', 'cht')),
    test_score   INTEGER CHECK (test_score BETWEEN 1 AND 10),
    comment      TEXT    CHECK (length(comment) <= 2000),
    PRIMARY KEY (student_code, class_id, subject_code, period),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- TT27 qualities and competences: Tốt / Đạt / Cần cố gắng per item and period.
CREATE TABLE tt27_qualities (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    item         TEXT    NOT NULL CHECK (item IN (
                     'yeu_nuoc', 'nhan_ai', 'cham_chi', 'trung_thuc', 'trach_nhiem',
                     'tu_chu_tu_hoc', 'giao_tiep_hop_tac', 'giai_quyet_van_de_sang_tao',
                     'ngon_ngu', 'tinh_toan', 'khoa_hoc', 'cong_nghe', 'tin_hoc', 'tham_mi', 'the_chat')),
    period       TEXT    NOT NULL CHECK (period IN ('GK1', 'CK1', 'GK2', 'CN')),
    rating       TEXT    NOT NULL CHECK (rating IN ('tot', 'dat', 'can_co_gang')),
    PRIMARY KEY (student_code, class_id, item, period),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;

-- TT27 "Học sinh tiêu biểu": recognised by the class, a flag with an optional note.
CREATE TABLE tt27_outstanding (
    student_code TEXT    NOT NULL,
    class_id     INTEGER NOT NULL,
    note         TEXT    NOT NULL CHECK (length(note) <= 2000),
    PRIMARY KEY (student_code, class_id),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT, WITHOUT ROWID;
