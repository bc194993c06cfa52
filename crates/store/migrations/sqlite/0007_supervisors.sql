-- Hocba store, the registry's supervising authorities (SQLite). Never edit after it lands.
--
-- A supervising authority ("Phòng Văn hóa - Xã hội" of a ward UBND for primary and lower
-- secondary schools, the Sở GDĐT for upper secondary and GDTX) has accounts; each account
-- supervises a set of schools and sees and decides only for them. Schools submit
-- certificates for approval ("Chờ phê duyệt"); the supervisor approves (which writes the
-- `registry_seal_approvals` row ingest uses) or rejects with a comment. Schools may report
-- how many records they expect per grade; ingest rejections are counted per school for
-- the deadline dashboard. All small tables (Citus reference tables). Times are Unix
-- seconds (UTC) given by the caller.

CREATE TABLE registry_supervisors (
    id            INTEGER NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE
                  CHECK (length(username) BETWEEN 1 AND 100 AND username NOT GLOB '*[^0-9A-Za-z._-]*'),
    authority     TEXT    NOT NULL CHECK (length(authority) BETWEEN 1 AND 500),
    password_hash TEXT    NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 500),
    created_at    INTEGER NOT NULL
) STRICT;

-- Which schools an account supervises.
CREATE TABLE registry_supervisor_schools (
    supervisor_id INTEGER NOT NULL REFERENCES registry_supervisors (id) ON DELETE CASCADE,
    school_code   TEXT    NOT NULL REFERENCES registry_schools (code),
    PRIMARY KEY (supervisor_id, school_code)
) STRICT, WITHOUT ROWID;

CREATE INDEX registry_supervisor_schools_school ON registry_supervisor_schools (school_code);

-- Login sessions of supervisors: the SHA-256 of the cookie value, never the value.
CREATE TABLE registry_supervisor_sessions (
    id_hash       TEXT    NOT NULL PRIMARY KEY
                  CHECK (length(id_hash) = 64 AND id_hash NOT GLOB '*[^0-9a-f]*'),
    supervisor_id INTEGER NOT NULL REFERENCES registry_supervisors (id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL CHECK (length(csrf_token) BETWEEN 32 AND 128),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    CHECK (created_at <= expires_at)
) STRICT, WITHOUT ROWID;

CREATE INDEX registry_supervisor_sessions_supervisor ON registry_supervisor_sessions (supervisor_id);

-- A certificate a school submitted for approval and its decision. `status` moves once,
-- from 'pending' to 'approved' (with `approval_id`) or 'rejected' (with a comment).
CREATE TABLE registry_certificates (
    id            INTEGER NOT NULL PRIMARY KEY,
    school_code   TEXT    NOT NULL REFERENCES registry_schools (code),
    fingerprint   TEXT    NOT NULL
                  CHECK (length(fingerprint) = 64 AND fingerprint NOT GLOB '*[^0-9a-f]*'),
    subject       TEXT    NOT NULL,
    issuer        TEXT    NOT NULL,
    not_before    INTEGER NOT NULL,
    not_after     INTEGER NOT NULL,
    pem           TEXT    NOT NULL CHECK (length(pem) BETWEEN 1 AND 65536),
    submitted_at  INTEGER NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by    TEXT    CHECK (length(decided_by) BETWEEN 1 AND 200),
    decided_at    INTEGER,
    comment       TEXT    CHECK (length(comment) BETWEEN 1 AND 2000),
    approval_id   INTEGER REFERENCES registry_seal_approvals (id),
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((decided_at IS NULL) = (decided_by IS NULL)),
    CHECK ((status = 'approved') = (approval_id IS NOT NULL)),
    CHECK (status <> 'rejected' OR comment IS NOT NULL)
) STRICT;

CREATE INDEX registry_certificates_school ON registry_certificates (school_code, status);

-- How many records a school expects to send for a school year and grade (reported by the
-- school); the dashboard compares what was received against it.
CREATE TABLE registry_expected_counts (
    school_code TEXT    NOT NULL REFERENCES registry_schools (code),
    start_year  INTEGER NOT NULL CHECK (start_year BETWEEN 2000 AND 2199),
    grade       INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 12),
    expected    INTEGER NOT NULL CHECK (expected >= 0),
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (school_code, start_year, grade)
) STRICT, WITHOUT ROWID;

-- Every ingest refused by the record check (`registry::check_record`, after
-- authentication), by school and digest, for the dashboard's "Bị từ chối" column. Year
-- and grade are known when the record parsed; a document sent twice is counted once.
CREATE TABLE registry_rejections (
    id          INTEGER NOT NULL PRIMARY KEY,
    school_code TEXT    NOT NULL REFERENCES registry_schools (code),
    digest      TEXT    NOT NULL CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
    start_year  INTEGER CHECK (start_year BETWEEN 2000 AND 2199),
    grade       INTEGER CHECK (grade BETWEEN 1 AND 12),
    code        TEXT    NOT NULL CHECK (length(code) BETWEEN 1 AND 100),
    rejected_at INTEGER NOT NULL
) STRICT;

CREATE INDEX registry_rejections_school ON registry_rejections (school_code, start_year, grade);
