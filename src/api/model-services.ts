// The model registry as the API's ModelService (every version with all its candidates, which one is current).
import { readCurrentPointer } from '../ml/artifact.js';
import { ModelRegistry } from '../ml/registry.js';
import type { Db } from '../store/db.js';
import { OrderflowError } from '../errors.js';
import type { ModelService, ModelVersionView } from './deps.js';

export class RegistryModelService implements ModelService {
  constructor(
    private readonly db: Db,
    private readonly modelsDir: string,
  ) {}

  async versions(): Promise<ModelVersionView[]> {
    const [records, pointer] = await Promise.all([
      new ModelRegistry(this.db, this.modelsDir).list(),
      readCurrentPointer(this.modelsDir),
    ]);
    return records.map((r) => ({
      version: r.version,
      algorithm: r.algorithm,
      createdAt: r.createdAt,
      current: r.version === pointer?.version,
      trainingRows: r.trainingRows,
      trainingMode: r.trainingMode,
      categoryCount: r.categoryCount,
      metrics: r.metrics,
      candidates: r.candidates,
    }));
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
