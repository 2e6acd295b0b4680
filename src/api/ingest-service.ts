// The ingest ledger as the API's IngestService: the processing stage's view (ingest/ledger/ledger-view.ts;
// no SQL here, the ledger's tables belong to ingest/ledger/ledger.ts), reprocessing, and retrying skipped files.
import type { Config } from '../base/config.js';
import { Ledger } from '../ingest/ledger/ledger.js';
import { reprocess, type ReprocessPlan, type ReprocessRequest } from '../ingest/reprocess.js';
import { ingestLedger } from '../ingest/ledger/ledger-view.js';
import type { Redis } from '../redis/redis.js';
import type { Db } from '../store/db.js';
import type { IngestLedger, IngestService } from './deps.js';

export class LedgerIngestService implements IngestService {
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

  ledger(): Promise<IngestLedger> {
    return ingestLedger(this.config, this.db, this.redis, this.runLimit);
  }

  async retryFile(path: string): Promise<boolean> {
    return new Ledger(this.db).retry(path);
  }
}
