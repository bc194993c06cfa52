-- Hocba store, the national registry (PostgreSQL, production). Never edit after it
-- lands.
--
-- Distribution (Citus, on the PostgreSQL twin of this file): `registry_records` is the
-- large table and is distributed by `student_code`, which leads its primary key and
-- every unique constraint, so a record is found, deduplicated and stored on one shard.
-- `registry_schools` and `registry_seal_approvals` are small and would be reference
-- tables (the foreign key from records to schools stays valid there). Times are Unix
-- seconds (UTC) given by the caller. On a Citus cluster, after this migration:
--   SELECT create_reference_table('registry_schools');
--   SELECT create_reference_table('registry_seal_approvals');
--   SELECT create_distributed_table('registry_records', 'student_code');

-- Schools known to the registry. The API token is kept only as its SHA-256.
CREATE TABLE registry_schools (
    code         TEXT    NOT NULL PRIMARY KEY
                 CHECK (length(code) BETWEEN 1 AND 20 AND code ~ '^[0-9A-Za-z]*$'),
    name         TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    level        TEXT    NOT NULL CHECK (level IN ('TH', 'THCS', 'THPT', 'GDTX')),
    authority    TEXT    NOT NULL CHECK (length(authority) BETWEEN 1 AND 500),
    token_sha256 TEXT    NOT NULL UNIQUE
                 CHECK (length(token_sha256) = 64 AND token_sha256 ~ '^[0-9a-f]*$'),
    created_at   BIGINT  NOT NULL
);

-- "Phê duyệt chứng thư số": a seal certificate approved for a school by its supervising
-- authority, from `approved_from` until `approved_until` (NULL: still approved).
-- Withdrawing sets `approved_until` and `withdrawn_at`; rows are never deleted.
CREATE TABLE registry_seal_approvals (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_code    TEXT    NOT NULL REFERENCES registry_schools (code),
    fingerprint    TEXT    NOT NULL
                   CHECK (length(fingerprint) = 64 AND fingerprint ~ '^[0-9a-f]*$'),
    subject        TEXT    NOT NULL,
    approved_from  BIGINT  NOT NULL,
    approved_until BIGINT,
    approved_by    TEXT    NOT NULL CHECK (length(approved_by) BETWEEN 1 AND 200),
    approved_at    BIGINT  NOT NULL,
    withdrawn_at   BIGINT,
    CHECK (approved_until IS NULL OR approved_until >= approved_from),
    CHECK (withdrawn_at IS NULL OR approved_until IS NOT NULL)
);

CREATE INDEX registry_seal_approvals_school ON registry_seal_approvals (school_code, fingerprint);

-- Every record accepted by the registry, exactly the bytes received (`xml`), with the
-- signed receipt returned to the school (`receipt`, the JSON document). `digest` is the
-- lowercase hex SHA-256 of `xml`: the idempotency key. It determines the bytes and so
-- the student, which makes UNIQUE (student_code, digest) as strong as UNIQUE (digest)
-- while keeping the distribution column in the constraint.
CREATE TABLE registry_records (
    student_code   TEXT    NOT NULL CHECK (length(student_code) = 20),
    record_id      TEXT    NOT NULL
                   CHECK (length(record_id) = 36 AND record_id ~ '^[0-9a-f-]*$'),
    version        BIGINT  NOT NULL CHECK (version >= 1),
    digest         TEXT    NOT NULL
                   CHECK (length(digest) = 64 AND digest ~ '^[0-9a-f]*$'),
    school_code    TEXT    NOT NULL REFERENCES registry_schools (code),
    start_year     BIGINT  NOT NULL CHECK (start_year BETWEEN 2000 AND 2199),
    grade          BIGINT  NOT NULL CHECK (grade BETWEEN 1 AND 12),
    supersedes_id  TEXT    CHECK (length(supersedes_id) = 36),
    xml            TEXT    NOT NULL,
    received_at    BIGINT  NOT NULL,
    receipt        TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'revoked')),
    revoked_at     BIGINT,
    revoked_reason TEXT    CHECK (length(revoked_reason) BETWEEN 1 AND 2000),
    PRIMARY KEY (student_code, record_id),
    UNIQUE (student_code, digest),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);

-- Per-school progress (dashboards) fans out across shards under Citus.
CREATE INDEX registry_records_school ON registry_records (school_code, start_year, grade);
-- The newer version naming an old one ("được thay thế"), looked up per student.
CREATE INDEX registry_records_supersedes ON registry_records (student_code, supersedes_id);
-- "Xác thực học bạ" by the code printed on a paper copy (QR): the record id alone. Under
-- Citus this lookup fans out to every shard (each uses its local index); a small
-- record_id -> student_code table distributed by record_id would route it to one shard.
CREATE INDEX registry_records_record_id ON registry_records (record_id);
