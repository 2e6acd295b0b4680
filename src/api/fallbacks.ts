// Stand-ins for stages a process runs without: the API still serves everything else, and the missing part
// answers 503 with a message saying what is missing instead of failing the whole server.
import { UnavailableError } from '../errors.js';
import type { CacheStatsService, DagService, IngestionService } from './deps.js';

export class NoSchedulerDagService implements DagService {
  private fail(): never {
    throw new UnavailableError('DAGs are not available in this process: start the API with `orderflow up`');
  }
  listDags = async () => [];
  listRuns = async (): Promise<never> => this.fail();
  getRun = async (): Promise<never> => this.fail();
  setPaused = async (): Promise<never> => this.fail();
  trigger = async (): Promise<never> => this.fail();
}

export const emptyIngestion: IngestionService = {
  ledger: async () => ({
    processedDays: [],
    lastProcessedDay: null,
    batches: [],
    files: [],
    pendingFiles: [],
    totals: { files: 0, rows: 0, quarantinedRows: 0 },
  }),
};

export const noCacheStats: CacheStatsService = {
  stats: async () => ({
    keys: 0,
    hits: 0,
    misses: 0,
    hitRate: null,
    cachedVersion: null,
    currentVersion: null,
    refreshedAt: null,
    ageSeconds: null,
  }),
};
