-- Hocba store, the outbox towards the national registry (PostgreSQL). Never edit after it
-- lands.
--
-- One row per record version to send (DESIGN.md §6). The seal ("Đóng dấu số") inserts the
-- row in the same transaction that moves the record to `signed`. Per-student table: the
-- distribution column `student_code` leads the key, and the key includes the digest, so
-- the same bytes are queued once (idempotent by digest) and the uniqueness still holds
-- when the table is distributed by student.
--
-- state: `pending` (waiting for its first or next attempt, `next_attempt_at` in Unix
-- seconds; 0 = due now), `sent` (claimed by a sender until `claimed_until`, the request
-- is in flight; an expired claim is taken again), `accepted` (the registry's signed
-- receipt is in `receipt`, the record is `synced`), `rejected` (a definitive reject:
-- `reject_code`, the Vietnamese `reject_message`, `reject_detail`). `resent` counts
-- "Gửi lại" after a reject. Times in `created_at` / `updated_at` are ISO 8601 UTC text.

CREATE TABLE outbox (
    student_code    TEXT    NOT NULL,
    digest          TEXT    NOT NULL
                    CHECK (length(digest) = 64 AND digest ~ '^[0-9a-f]*$'),
    record_id       TEXT    NOT NULL,
    class_id        BIGINT  NOT NULL REFERENCES classes (id),
    state           TEXT    NOT NULL
                    CHECK (state IN ('pending', 'sent', 'accepted', 'rejected')),
    attempts        BIGINT  NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    last_error      TEXT    CHECK (length(last_error) <= 2000),
    receipt         TEXT,
    reject_code     TEXT    CHECK (length(reject_code) BETWEEN 1 AND 100),
    reject_message  TEXT    CHECK (length(reject_message) <= 2000),
    reject_detail   TEXT    CHECK (length(reject_detail) <= 4000),
    resent          BIGINT  NOT NULL DEFAULT 0 CHECK (resent >= 0),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    PRIMARY KEY (student_code, digest),
    FOREIGN KEY (student_code, record_id) REFERENCES records (student_code, id)
        ON UPDATE CASCADE,
    CHECK ((state = 'accepted') = (receipt IS NOT NULL)),
    CHECK ((state = 'rejected') = (reject_code IS NOT NULL)),
    CHECK ((state = 'sent') = (claimed_until IS NOT NULL))
);

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_class ON outbox (class_id, state);

-- Records sealed before this migration are queued too.
INSERT INTO outbox (student_code, digest, record_id, class_id, state, created_at, updated_at)
SELECT student_code, sha256, id, class_id, 'pending', updated_at, updated_at
FROM records WHERE state = 'signed';
