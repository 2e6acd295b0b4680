-- 0013_holdout_totals: the incremental output's evaluation (holdout) totals, maintained by each commit like
-- ingest_totals (sql/0011) instead of summed over every holdout partial ever committed, and old files' holdout
-- partials packed to one value per file (processing/holdout-totals.ts).

CREATE TABLE ingest_holdout_totals (
  day_of_week smallint NOT NULL,
  hour_of_day smallint NOT NULL,
  category text NOT NULL,
  bucket_items bigint[] NOT NULL,
  items_squared double precision NOT NULL,
  PRIMARY KEY (day_of_week, hour_of_day, category)
);
INSERT INTO ingest_holdout_totals (day_of_week, hour_of_day, category, bucket_items, items_squared)
SELECT day_of_week, hour_of_day, category,
  ARRAY[sum(bucket_items[1]), sum(bucket_items[2]), sum(bucket_items[3]), sum(bucket_items[4]),
        sum(bucket_items[5])]::bigint[],
  sum(items_squared)
FROM ingest_holdout_partials GROUP BY day_of_week, hour_of_day, category;

-- One row: the orders per bucket of every committed file, and how many committed files have no holdout partial
-- (committed before 0007; the output's holdout is complete when there are none).
CREATE TABLE ingest_holdout_state (
  id smallint PRIMARY KEY CHECK (id = 1),
  bucket_orders bigint[] NOT NULL,
  files_without_holdout bigint NOT NULL
);
INSERT INTO ingest_holdout_state (id, bucket_orders, files_without_holdout)
SELECT 1,
  ARRAY[coalesce(sum(bucket_orders[1]), 0), coalesce(sum(bucket_orders[2]), 0),
        coalesce(sum(bucket_orders[3]), 0), coalesce(sum(bucket_orders[4]), 0),
        coalesce(sum(bucket_orders[5]), 0)]::bigint[],
  (SELECT count(*) FROM ingest_files f WHERE NOT EXISTS (SELECT 1 FROM ingest_holdout_files h WHERE h.path = f.path))
FROM ingest_holdout_files;

-- A packed file's holdout cells: gzip of JSON {"categories": [...], "cells": [day, hour, category index,
-- items of bucket 0..4, squares, ...]}, so that removing or replacing an old file still subtracts exactly what
-- it added.
ALTER TABLE ingest_holdout_files ADD COLUMN partial_packed bytea;
-- Each commit looks for the unpacked files beyond the newest ones: the few not packed yet, not the whole history.
CREATE INDEX ingest_holdout_files_unpacked ON ingest_holdout_files (path) WHERE partial_packed IS NULL;
