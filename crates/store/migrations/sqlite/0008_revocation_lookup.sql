-- Hocba store, registry revocation requests, share codes and lookup rate limiting
-- (SQLite, for the embedded demo). Never edit after it lands.
--
-- Distribution (Citus, see the PostgreSQL twin): `registry_revocations` and
-- `registry_share_codes` carry `student_code` and would be distributed by it, co-located
-- with `registry_records`; `registry_lookup_attempts` is small and short-lived.

-- "Đề nghị thu hồi" (STORIES #15, #20): a school asks for one stored record to be
-- revoked; the supervising authority approves or rejects it with a comment. At most one
-- request per record is pending at a time. Rows are never deleted.
CREATE TABLE registry_revocations (
    id           INTEGER NOT NULL PRIMARY KEY,
    student_code TEXT    NOT NULL,
    record_id    TEXT    NOT NULL,
    school_code  TEXT    NOT NULL REFERENCES registry_schools (code),
    reason       TEXT    NOT NULL CHECK (length(trim(reason)) BETWEEN 1 AND 2000),
    requested_at INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   TEXT    CHECK (length(decided_by) BETWEEN 1 AND 200),
    decided_at   INTEGER,
    comment      TEXT    CHECK (length(comment) <= 2000),
    FOREIGN KEY (student_code, record_id) REFERENCES registry_records (student_code, record_id),
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((decided_at IS NULL) = (decided_by IS NULL))
) STRICT;

CREATE UNIQUE INDEX registry_revocations_one_pending
    ON registry_revocations (student_code, record_id) WHERE status = 'pending';
CREATE INDEX registry_revocations_status ON registry_revocations (status, school_code);

-- "Mã chia sẻ" (STORIES #23): a code a student gives to a receiving school, stored only
-- as its SHA-256. `record_id` NULL shares every record of the student.
CREATE TABLE registry_share_codes (
    id           INTEGER NOT NULL PRIMARY KEY,
    code_sha256  TEXT    NOT NULL UNIQUE
                 CHECK (length(code_sha256) = 64 AND code_sha256 NOT GLOB '*[^0-9a-f]*'),
    student_code TEXT    NOT NULL CHECK (length(student_code) = 20),
    record_id    TEXT    CHECK (length(record_id) = 36),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    CHECK (expires_at > created_at)
) STRICT;

CREATE INDEX registry_share_codes_student ON registry_share_codes (student_code);

-- Failed "Tra cứu học bạ" attempts, per bucket (`ip:…` or `student:…`), for the rate
-- limit; rows older than the window are deleted as new ones arrive.
CREATE TABLE registry_lookup_attempts (
    bucket       TEXT    NOT NULL CHECK (length(bucket) BETWEEN 1 AND 200),
    attempted_at INTEGER NOT NULL
) STRICT;

CREATE INDEX registry_lookup_attempts_bucket ON registry_lookup_attempts (bucket, attempted_at);
CREATE INDEX registry_lookup_attempts_time ON registry_lookup_attempts (attempted_at);

-- A version is replaced at most once (reissue after revocation): two corrected versions
-- naming the same record cannot both be stored, even when they arrive together. The
-- student leads the index, as in every registry constraint.
CREATE UNIQUE INDEX registry_records_one_successor
    ON registry_records (student_code, supersedes_id) WHERE supersedes_id IS NOT NULL;
