-- 0017_ingest_leases: one name for the stage. The ingest stage's run leases were the only ingest table not named
-- ingest_*; the lease owner is src/ingest/ledger/lease.ts. A rename keeps every row, so a lease held across the
-- upgrade stays held (by its token).
ALTER TABLE run_locks RENAME TO ingest_leases;
ALTER SEQUENCE run_lock_tokens RENAME TO ingest_lease_tokens;
