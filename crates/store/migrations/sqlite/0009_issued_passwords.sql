-- Hocba store, first-login passwords issued by the school admin (SQLite). Never edit
-- after it lands.
--
-- "Tài khoản giáo viên" (STORIES #2): when the school admin creates an account or resets
-- its password, the server draws a random password, shows it once on "In mật khẩu lần
-- đầu" and keeps only its argon2id hash, in `teachers.password_hash` and here. While the
-- two hashes are equal the account still uses the issued password and must change it at
-- login; changing the password makes them differ, so nothing has to clear this row.
-- Never holds a password in clear.
CREATE TABLE issued_passwords (
    teacher_id    INTEGER NOT NULL PRIMARY KEY REFERENCES teachers (id) ON DELETE CASCADE,
    password_hash TEXT    NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 512)
) STRICT;
