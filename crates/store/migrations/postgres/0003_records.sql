-- Hocba store, year records and their workflow (PostgreSQL). Never edit after it lands.
--
-- One row per version of a student's year record in a class. Per-student table: the
-- distribution column `student_code` leads the key. `xml` holds the current bytes of the
-- document (NULL while the version is a draft, unsigned once reviewed, then growing one
-- signature at a time); `sha256` is the lowercase hex SHA-256 of exactly those bytes.
-- A signed version is never changed again: unlocking adds version + 1 as a draft that
-- names the old one in `supersedes_id` / `supersedes_sha256`. Times are ISO 8601 UTC text
-- given by the caller.

CREATE TABLE records (
    student_code      TEXT    NOT NULL REFERENCES students (code) ON UPDATE CASCADE,
    id                TEXT    NOT NULL
                      CHECK (length(id) = 36 AND id ~ '^[0-9a-f-]*$'),
    class_id          BIGINT  NOT NULL REFERENCES classes (id),
    start_year        BIGINT  NOT NULL CHECK (start_year BETWEEN 2000 AND 2199),
    version           BIGINT  NOT NULL CHECK (version >= 1),
    state             TEXT    NOT NULL
                      CHECK (state IN ('draft', 'reviewed', 'signing', 'signed', 'synced')),
    xml               TEXT,
    sha256            TEXT    CHECK (length(sha256) = 64 AND sha256 ~ '^[0-9a-f]*$'),
    supersedes_id     TEXT,
    supersedes_sha256 TEXT    CHECK (length(supersedes_sha256) = 64),
    signatures        BIGINT  NOT NULL DEFAULT 0 CHECK (signatures BETWEEN 0 AND 10),
    -- One line per signature: `ROLE<TAB>signer name<TAB>signing time`.
    signers           TEXT    NOT NULL DEFAULT '',
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    unlock_reason     TEXT    CHECK (length(unlock_reason) BETWEEN 1 AND 2000),
    unlocked_by       BIGINT  REFERENCES teachers (id),
    PRIMARY KEY (student_code, id),
    UNIQUE (student_code, class_id, version),
    FOREIGN KEY (student_code, class_id) REFERENCES enrolments (student_code, class_id)
        ON UPDATE CASCADE,
    CHECK ((state = 'draft') = (xml IS NULL)),
    CHECK ((xml IS NULL) = (sha256 IS NULL)),
    CHECK ((supersedes_id IS NULL) = (supersedes_sha256 IS NULL)),
    CHECK ((version = 1) = (supersedes_id IS NULL))
);

CREATE INDEX records_class ON records (class_id, student_code, version);

-- "Xác nhận tổng hợp": the homeroom teacher confirmed the class summary.
-- Not per-student: one row per class (co-located with classes under Citus).
CREATE TABLE class_reviews (
    class_id    BIGINT  NOT NULL PRIMARY KEY REFERENCES classes (id),
    reviewed_by BIGINT  NOT NULL REFERENCES teachers (id),
    reviewed_at TEXT    NOT NULL
);
