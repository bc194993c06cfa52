-- Hocba store, the audit log (PostgreSQL). Never edit after it lands.
--
-- `audit_log` is append-only and hash-chained: entry `seq` carries the SHA-256 of its
-- own content and of the previous entry's hash (see `src/audit.rs` for the exact
-- encoding). `audit_head` is one row holding the last sequence number and hash; every
-- append updates it in the same transaction (its row lock serialises appenders) and
-- verification uses it to notice entries cut off the end of the log.
--
-- Actor, school and student are copied, not referenced: the log must outlive accounts,
-- and a foreign key would let a cascade rewrite history. Not distributed by student
-- under Citus: the chain is one sequence per database (a reference-style table).

CREATE TABLE audit_log (
    seq            BIGINT  NOT NULL PRIMARY KEY CHECK (seq >= 1),
    at             TEXT    NOT NULL CHECK (at ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z$'),
    actor_id       BIGINT  NOT NULL,
    actor_username TEXT    NOT NULL,
    actor_name     TEXT    NOT NULL,
    school_id      BIGINT  NOT NULL,
    student_code   TEXT,
    class_id       BIGINT,
    action         TEXT    NOT NULL CHECK (action ~ '^[a-z0-9_.]{1,64}$'),
    field          TEXT    NOT NULL CHECK (length(field) <= 200),
    old_value      TEXT,
    new_value      TEXT,
    reason         TEXT,
    prev_hash      TEXT    NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash           TEXT    NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

CREATE INDEX audit_log_student ON audit_log (student_code, seq);

CREATE TABLE audit_head (
    id   SMALLINT NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT   NOT NULL CHECK (seq >= 0),
    hash TEXT     NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Database-level protection against accidental or casual edits. Someone with the rights
-- to drop these triggers can still rewrite rows: the hash chain is what detects that.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.seq < OLD.seq THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();

CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
