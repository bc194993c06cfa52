-- Registry ingest speed (issue 6 §8): PostgreSQL compresses the stored record XML with
-- LZ4 from this version on. SQLite stores text uncompressed: nothing to change; this
-- file keeps the migration numbers of both backends aligned.
SELECT 1;
