-- Hocba store, the audit log (SQLite). Never edit after it lands.
--
-- `audit_log` is append-only and hash-chained: entry `seq` carries the SHA-256 of its
-- own content and of the previous entry's hash (see `src/audit.rs` for the exact
-- encoding). `audit_head` is one row holding the last sequence number and hash; every
-- append updates it in the same transaction, which serialises appenders and lets
-- verification notice entries cut off the end of the log.
--
-- Actor, school and student are copied, not referenced: the log must outlive accounts,
-- and a foreign key would let a cascade rewrite history.

CREATE TABLE audit_log (
    seq            INTEGER NOT NULL PRIMARY KEY CHECK (seq >= 1),
    at             TEXT    NOT NULL CHECK (
                       length(at) = 20
                       AND at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z'
                   ),
    actor_id       INTEGER NOT NULL,
    actor_username TEXT    NOT NULL,
    actor_name     TEXT    NOT NULL,
    school_id      INTEGER NOT NULL,
    student_code   TEXT,
    class_id       INTEGER,
    action         TEXT    NOT NULL CHECK (
                       length(action) BETWEEN 1 AND 64 AND action NOT GLOB '*[^a-z0-9_.]*'
                   ),
    field          TEXT    NOT NULL CHECK (length(field) <= 200),
    old_value      TEXT,
    new_value      TEXT,
    reason         TEXT,
    prev_hash      TEXT    NOT NULL CHECK (length(prev_hash) = 64 AND prev_hash NOT GLOB '*[^0-9a-f]*'),
    hash           TEXT    NOT NULL CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*')
) STRICT;

CREATE INDEX audit_log_student ON audit_log (student_code, seq);

CREATE TABLE audit_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT    NOT NULL CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*')
) STRICT;

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Database-level protection against accidental or casual edits. Someone with the rights
-- to drop these triggers can still rewrite rows: the hash chain is what detects that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head cannot be deleted');
END;

CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward');
END;
