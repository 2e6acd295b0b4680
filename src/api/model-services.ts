// The model registry as the API's ModelService (every version with all its candidates, which one is current).
import { modelVersionViews } from '../ml/version-view.js';
import type { Db } from '../store/db.js';
import { OrderflowError } from '../base/errors.js';
import { listIncrementScores, type IncrementScore } from '../ml/increment-accuracy.js';
import { promoteVersion, rollbackVersion } from '../ml/promote.js';
import { listPromotions, type PromotionEvent } from '../ml/promotions.js';
import type { ModelMove, ModelService, ModelVersionView } from './deps.js';

export class RegistryModelService implements ModelService {
  /** `refreshCache` runs after a promotion or rollback and says what it did (null: it could not). */
  constructor(
    private readonly db: Db,
    private readonly modelsDir: string,
    private readonly refreshCache: () => Promise<string | null> = () => Promise.resolve(null),
  ) {}

  increments(): Promise<IncrementScore[]> {
    return listIncrementScores(this.db);
  }

  promotions(): Promise<PromotionEvent[]> {
    return listPromotions(this.db);
  }

  async promote(version: string): Promise<ModelMove> {
    const move = await promoteVersion({ db: this.db, modelsDir: this.modelsDir }, version);
    return { ...move, cache: await this.refreshCache() };
  }

  async rollback(): Promise<ModelMove> {
    const move = await rollbackVersion({ db: this.db, modelsDir: this.modelsDir });
    return { ...move, cache: await this.refreshCache() };
  }

  versions(): Promise<ModelVersionView[]> {
    return modelVersionViews(this.db, this.modelsDir);
  }
}

/** A batch cell's error as data: code, message and, for unknown names, the closest ones. */
export function outcomeError(error: unknown): { code: string; message: string; suggestions?: string[] } {
  if (error instanceof OrderflowError) {
    const suggestions = (error as { suggestions?: string[] }).suggestions;
    return { code: error.code, message: error.message, ...(suggestions ? { suggestions } : {}) };
  }
  return { code: 'INTERNAL', message: 'internal error' };
}
