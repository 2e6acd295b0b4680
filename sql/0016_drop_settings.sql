-- 0016_drop_settings: drop the key/value settings table of 0001_init. No module ever read or wrote it (the admin
-- password hash it was meant for lives in 0005_auth's tables), so it only misled readers of the schema; the
-- store tests that used it as a scratch table now create their own.
DROP TABLE IF EXISTS settings;
