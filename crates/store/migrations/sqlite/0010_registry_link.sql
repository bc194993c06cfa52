-- Hocba store, the school's link to the national registry (SQLite). Never edit after it
-- lands.
--
-- school_registry_tokens: per school, the bearer token the school uses on the registry's
-- API ("Kết nối CSDL"). Kept as given: the sender presents it on every request. Schools
-- without a row use the server-wide default token (`hocba serve --registry-token-env`).
--
-- school_certificates: "Chứng thư số" the school submitted to the registry (seal or
-- personal), with the registry's last known decision (`unsent` until the registry
-- answered the submission; `pending`, `approved`, `rejected` as the registry reports).
--
-- revocation_requests: "Đề nghị thu hồi" of a synced record version, with the registry's
-- request id and its last known decision. Per-student table: `student_code` leads the key.

CREATE TABLE school_registry_tokens (
    school_id   INTEGER NOT NULL PRIMARY KEY REFERENCES schools (id),
    token       TEXT    NOT NULL
                CHECK (length(token) BETWEEN 1 AND 512 AND token NOT GLOB '*[^!-~]*'),
    updated_by  INTEGER NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;

CREATE TABLE school_certificates (
    id           INTEGER PRIMARY KEY,
    school_id    INTEGER NOT NULL REFERENCES schools (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('seal', 'personal')),
    fingerprint  TEXT    NOT NULL
                 CHECK (length(fingerprint) = 64 AND fingerprint NOT GLOB '*[^0-9a-f]*'),
    subject      TEXT    NOT NULL CHECK (length(subject) <= 2000),
    issuer       TEXT    NOT NULL CHECK (length(issuer) <= 2000),
    not_before   INTEGER NOT NULL,
    not_after    INTEGER NOT NULL,
    pem          TEXT    NOT NULL CHECK (length(pem) <= 100000),
    registry_id  INTEGER,
    status       TEXT    NOT NULL
                 CHECK (status IN ('unsent', 'pending', 'approved', 'rejected')),
    comment      TEXT    CHECK (length(comment) <= 2000),
    checked_at   TEXT,
    uploaded_by  INTEGER NOT NULL,
    uploaded_at  TEXT    NOT NULL,
    UNIQUE (school_id, fingerprint)
) STRICT;

CREATE TABLE revocation_requests (
    student_code  TEXT    NOT NULL,
    registry_id   INTEGER NOT NULL,
    record_id     TEXT    NOT NULL,
    class_id      INTEGER NOT NULL REFERENCES classes (id),
    reason        TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    requested_by  INTEGER NOT NULL,
    requested_by_name TEXT NOT NULL,
    requested_at  TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    comment       TEXT    CHECK (length(comment) <= 2000),
    checked_at    TEXT,
    PRIMARY KEY (student_code, registry_id),
    FOREIGN KEY (student_code, record_id) REFERENCES records (student_code, id)
        ON UPDATE CASCADE
) STRICT;

CREATE INDEX revocation_requests_record ON revocation_requests (student_code, record_id);
