// Reprocessing committed batches on real PostgreSQL, Redis and files: when the ledger's partial of a file no longer
// matches what reading the file gives (as after a fix to the aggregation), the dry run lists exactly the cells that
// differ and their cache keys and changes nothing; applying makes the next incremental run read the file again, after
// which the output equals a full re-aggregation and a new dry run finds nothing to change.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runIncremental } from '../../src/ingest/incremental.js';
import { reprocess, reprocessPlanRecord } from '../../src/ingest/reprocess.js';
import { cellKey } from '../../src/base/cell.js';
import { NotFoundError } from '../../src/base/errors.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import {
  assertMatchesFullAggregation,
  driftPartial,
  makeDaySource,
  openStage,
  type Stage,
} from './helpers.js';

let tmp: TempDir;
let redisServer: RedisServer;
let database: TestDatabase;
let stage: Stage;

before(async () => {
  tmp = await tempDir();
  const source = await makeDaySource(path.join(tmp.path, 'source'), 400);
  redisServer = await startRedis();
  database = await createTestDatabase();
  stage = await openStage(path.join(tmp.path, 'data'), source, {
    REDIS_URL: redisServer.url,
    DATABASE_URL: database.url,
  });
});
after(async () => {
  await stage?.close();
  await database?.drop();
  await redisServer?.stop();
  await tmp?.remove();
});

/**
 * Makes the folded totals include the drifted partials, as if the commit had added them drifted: the snapshot is
 * emptied and every committed file queued again, so the next fold sums the partials as they are now.
 */
async function refoldFromPartials(): Promise<void> {
  await stage.db.query('UPDATE ingest_totals_snapshot SET generation = 0, payload = NULL');
  await stage.db.query(
    `INSERT INTO ingest_fold_queue (generation, path, token, sign)
     SELECT (SELECT generation FROM ingest_state WHERE id = 1), path, token, 1 FROM ingest_files`,
  );
}

test('reprocess › a dry run lists the changed cells and cache keys; applying re-reads the batch exactly once', async () => {
  await stage.deliver('1');
  await stage.deliver('2');
  assert.equal((await runIncremental(stage.deps)).status, 'committed');
  const [file] = await stage.db.query<{ path: string }>(`SELECT path FROM ingest_files WHERE batch = '1'`);
  // The ledger's partial drifts from the file (as if the aggregation had a bug then): two cells are off.
  const drifted = await driftPartial(stage.db, file.path, 2, 5);
  // The drifted partial was what that commit added to the totals, too.
  await refoldFromPartials();
  const cached = drifted[0];
  await stage.redis.set(cellKey(cached), '1.5');

  const dry = await reprocess(stage.deps, { batches: ['1'] }, { apply: false });
  assert.equal(dry.applied, false);
  assert.deepEqual(
    dry.files.map((f) => [f.path, f.status]),
    [[file.path, 'changed']],
  );
  assert.equal(dry.cells.length, 2);
  assert.ok(dry.cells.every((c) => c.before - c.after === 5));
  assert.equal(dry.cacheKeys, 1);
  assert.equal(
    (await reprocess(stage.deps, { batches: ['1'] }, { apply: false })).cells.length,
    2,
    'dry run',
  );

  const applied = await reprocess(stage.deps, { files: [file.path] }, { apply: true });
  assert.equal(applied.applied, true);
  const rerun = await runIncremental(stage.deps);
  assert.equal(rerun.status, 'committed');
  await assertMatchesFullAggregation(stage.config, stage.redis);
  assert.deepEqual((await reprocess(stage.deps, { batches: ['1', '2'] }, { apply: false })).cells, []);
  await assert.rejects(reprocess(stage.deps, { batches: ['9'] }, { apply: false }), NotFoundError);
});

test('reprocess › from the CLI: --json is the same plan, --apply re-reads at once; both are audited', async () => {
  const [file] = await stage.db.query<{ path: string }>(`SELECT path FROM ingest_files WHERE batch = '2'`);
  await driftPartial(stage.db, file.path, 1, 1);
  await refoldFromPartials();
  const env = {
    DATA_DIR: stage.config.dataDir,
    REDIS_URL: stage.config.redisUrl,
    DATABASE_URL: stage.config.databaseUrl ?? '',
    LOG_LEVEL: 'silent',
  };
  const dry = await runCli(['reprocess', '--batch', '2', '--json'], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(
    JSON.parse(dry.stdout),
    reprocessPlanRecord(await reprocess(stage.deps, { batches: ['2'] }, { apply: false })),
  );
  const applied = await runCli(['reprocess', '--batch', '2', '--apply', '--json'], env);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(JSON.parse(applied.stdout).run.status, 'committed');
  await assertMatchesFullAggregation(stage.config, stage.redis);
  const audit = await stage.db.query<{ via: string; outcome: string }>(
    `SELECT via, outcome FROM audit_log WHERE action = 'ingest.reprocess'`,
  );
  assert.equal(audit.filter((a) => a.via === 'cli' && a.outcome === 'ok').length, 2);
  assert.equal((await runCli(['reprocess', '--batch', 'nope'], env)).code, 2);
});
