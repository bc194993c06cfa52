-- Hocba store, login sessions of the school server (PostgreSQL). Never edit after it lands.
--
-- A session is found by the SHA-256 (hex) of its random 256-bit cookie value, so the
-- database never holds a value that opens a session. Times are Unix seconds (UTC).
-- Not per-student: a small table keyed by its own id (a reference table under Citus).

CREATE TABLE sessions (
    id_hash              TEXT    NOT NULL PRIMARY KEY
                         CHECK (length(id_hash) = 64 AND id_hash ~ '^[0-9a-f]*$'),
    teacher_id           BIGINT  NOT NULL REFERENCES teachers (id) ON DELETE CASCADE,
    csrf_token           TEXT    NOT NULL CHECK (length(csrf_token) BETWEEN 32 AND 128),
    created_at           BIGINT  NOT NULL,
    expires_at           BIGINT  NOT NULL,
    last_seen_at         BIGINT  NOT NULL,
    -- The account logged in with a seeded (demo) password and must change it first.
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK (created_at <= expires_at),
    CHECK (created_at <= last_seen_at)
);

CREATE INDEX sessions_teacher ON sessions (teacher_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
