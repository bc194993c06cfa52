-- Registry ingest speed (issue 6 §8): the stored record XML (≈ 25 kB, TOASTed) is
-- compressed with LZ4 instead of the default pglz, which cost a large part of the
-- database's CPU per insert; LZ4 compresses several times faster at a similar size.
-- Only new values are affected; existing rows stay readable as they are. A server built
-- without LZ4 keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE registry_records ALTER COLUMN xml SET COMPRESSION lz4;
        ALTER TABLE registry_records ALTER COLUMN receipt SET COMPRESSION lz4;
    END IF;
END
$$;
