// The ingestion ledger (sql/0002_ledger.sql, src/processing) as the API's IngestionService: committed batches
// and files with their quarantined rows, recent runs, files waiting in the raw folder, and the Redis tracking keys.
import type { Config } from '../config.js';
import { Ledger } from '../processing/ledger.js';
import { reprocess, type ReprocessPlan, type ReprocessRequest } from '../processing/reprocess.js';
import { ingestionStatus } from '../processing/status.js';
import type { Redis } from '../redis.js';
import type { Db } from '../store/db.js';
import type { IngestionLedger, IngestionService, LedgerFile, LedgerRun } from './deps.js';

interface FileRow {
  path: string;
  batch: string;
  sha256: string;
  orders: number;
  items: number;
  bad_rows: number;
  committed_at: Date;
}

interface RunRow {
  id: number;
  started_at: Date;
  finished_at: Date;
  files_added: number;
  files_replaced: number;
  files_removed: number;
  orders: number;
  items: number;
  bad_rows: number;
}

export class LedgerIngestionService implements IngestionService {
  constructor(
    private readonly config: Config,
    private readonly db: Db,
    private readonly redis: Redis,
    /** Runs listed. @defaultValue 20 */
    private readonly runLimit = 20,
  ) {}

  reprocess(request: ReprocessRequest, apply: boolean): Promise<ReprocessPlan> {
    return reprocess({ config: this.config, db: this.db, redis: this.redis }, request, { apply });
  }

  async ledger(): Promise<IngestionLedger> {
    const [status, fileRows, runRows] = await Promise.all([
      ingestionStatus(this.config, this.db, this.redis),
      this.db.query<FileRow>(
        'SELECT path, batch, sha256, orders, items, bad_rows, committed_at FROM ingest_files ORDER BY batch, path',
      ),
      this.db.query<RunRow>(
        `SELECT id, started_at, finished_at, files_added, files_replaced, files_removed, orders, items, bad_rows
         FROM ingest_runs ORDER BY id DESC LIMIT $1`,
        [this.runLimit],
      ),
    ]);
    const files: LedgerFile[] = fileRows.map((f) => ({
      path: f.path,
      batch: f.batch,
      sha256: f.sha256,
      orders: Number(f.orders),
      items: Number(f.items),
      quarantinedRows: Number(f.bad_rows),
      committedAt: new Date(f.committed_at).toISOString(),
    }));
    const batches = new Map<string, IngestionLedger['batches'][number]>();
    for (const f of files) {
      const b = batches.get(f.batch) ?? {
        batch: f.batch,
        files: 0,
        orders: 0,
        items: 0,
        quarantinedRows: 0,
        committedAt: null,
      };
      b.files++;
      b.orders += f.orders;
      b.items += f.items;
      b.quarantinedRows += f.quarantinedRows;
      if (!b.committedAt || (f.committedAt && f.committedAt > b.committedAt)) b.committedAt = f.committedAt;
      batches.set(f.batch, b);
    }
    const runs: LedgerRun[] = runRows.map((r) => ({
      id: Number(r.id),
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: new Date(r.finished_at).toISOString(),
      filesAdded: r.files_added,
      filesReplaced: r.files_replaced,
      filesRemoved: r.files_removed,
      orders: Number(r.orders),
      items: Number(r.items),
      quarantinedRows: r.bad_rows,
    }));
    const sum = (k: 'orders' | 'items' | 'quarantinedRows'): number => files.reduce((n, f) => n + f[k], 0);
    return {
      processedDays: status.redis.state?.processedDays ?? [],
      lastProcessedDay: status.redis.state?.lastProcessedDay ?? null,
      trackingAgrees: status.redis.agrees,
      batches: [...batches.values()],
      files,
      runs,
      pendingFiles: status.pendingFiles,
      skippedFiles: status.skippedFiles,
      totals: {
        files: files.length,
        orders: sum('orders'),
        items: sum('items'),
        quarantinedRows: sum('quarantinedRows'),
      },
    };
  }

  async retryFile(path: string): Promise<boolean> {
    return new Ledger(this.db).retry(path);
  }
}
