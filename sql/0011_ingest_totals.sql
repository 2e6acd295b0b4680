-- 0011_ingest_totals: the incremental output's totals, maintained by each commit (+ added and replacing
-- files' partials, − removed and replaced ones) instead of summed over every partial ever committed, and
-- per-file partials compacted to one packed row per file once they are old.

CREATE TABLE ingest_totals (
  day_of_week smallint NOT NULL,
  hour_of_day smallint NOT NULL,
  category text NOT NULL,
  items_count bigint NOT NULL,
  PRIMARY KEY (day_of_week, hour_of_day, category)
);
INSERT INTO ingest_totals (day_of_week, hour_of_day, category, items_count)
SELECT day_of_week, hour_of_day, category, sum(items_count)
FROM ingest_partials GROUP BY day_of_week, hour_of_day, category;

-- A compacted file's partial: gzip of JSON {"categories": [...], "cells": [day, hour, category index,
-- items, ...]}, so that removing or replacing an old file still subtracts exactly what it added.
ALTER TABLE ingest_files ADD COLUMN partial_packed bytea;
