// Adapters from the model stage to the API's interfaces: the model registry as ModelService, and the current
// model as a PredictionService (used when the Redis cache stage is not available). The model is re-read when
// DATA_DIR/models/current.json names another version, checked at most once a second.
import { NoModelError } from '../errors.js';
import { readCurrentPointer } from '../ml/artifact.js';
import { loadCurrentModel, type LoadedModel } from '../ml/predictor.js';
import { ModelRegistry } from '../ml/registry.js';
import type { Db } from '../store/db.js';
import { OrderflowError } from '../errors.js';
import type {
  BatchOutcome,
  ModelService,
  ModelVersionView,
  PredictionAnswer,
  PredictionCell,
  PredictionService,
} from './deps.js';

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

/** The current model, reloaded when the pointer moves. */
export class CurrentModel {
  private model: LoadedModel | null = null;
  private checkedAt = 0;
  private loading: Promise<LoadedModel | null> | undefined;

  constructor(
    private readonly modelsDir: string,
    private readonly recheckMs = 1000,
  ) {}

  async get(): Promise<LoadedModel | null> {
    if (Date.now() - this.checkedAt < this.recheckMs) return this.model;
    return (this.loading ??= this.refresh().finally(() => (this.loading = undefined)));
  }

  private async refresh(): Promise<LoadedModel | null> {
    const pointer = await readCurrentPointer(this.modelsDir);
    if (pointer?.version !== this.model?.version) {
      this.model = pointer ? await loadCurrentModel(this.modelsDir) : null;
    }
    this.checkedAt = Date.now();
    return this.model;
  }
}

export class ModelPredictionService implements PredictionService {
  constructor(private readonly current: CurrentModel) {}

  private async model(): Promise<LoadedModel> {
    const model = await this.current.get();
    if (!model) throw new NoModelError();
    return model;
  }

  async predict(cell: PredictionCell): Promise<PredictionAnswer> {
    return answer(await this.model(), cell);
  }

  async predictMany(cells: readonly PredictionCell[]): Promise<BatchOutcome[]> {
    const model = await this.model();
    return cells.map((cell) => {
      try {
        return { ok: true, ...answer(model, cell) };
      } catch (error) {
        return { ok: false, error: outcomeError(error) };
      }
    });
  }

  async categories(): Promise<readonly string[]> {
    return (await this.current.get())?.categories ?? [];
  }
}

function answer(model: LoadedModel, cell: PredictionCell): PredictionAnswer {
  const index = model.resolveCategory(cell.category);
  return {
    day_of_week: cell.day,
    hour_of_day: cell.hour,
    category: model.categories[index],
    prediction: model.predict(cell.day, cell.hour, index),
    source: 'model',
    model_version: model.version,
  };
}

/** A batch cell's error as data: code, message and, for unknown names, the closest ones. */
export function outcomeError(error: unknown): { code: string; message: string; suggestions?: string[] } {
  if (error instanceof OrderflowError) {
    const suggestions = (error as { suggestions?: string[] }).suggestions;
    return { code: error.code, message: error.message, ...(suggestions ? { suggestions } : {}) };
  }
  return { code: 'INTERNAL', message: 'internal error' };
}
