// The serving API of the models, used by `orderflow predict` and the prediction cache stage. It reads the model
// named by DATA_DIR/models/current.json and never opens the metadata store, so the hot path has no database.
//
//   const model = await loadCurrentModel(config.paths.modelsDir);   // null when nothing was trained yet
//   const c = model.resolveCategory(' Fresh Fruits ');              // index; NotFoundError with closest names
//   model.predict(day, hour, c);                                    // one cell, ≥ 0, well under 5 µs
//   const grid = model.predictGrid();                               // every cell, index (day*24+hour)*C + c
//
// `requireCurrentModel` is the same but throws NoModelError (the message says to run `orderflow train`).
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { NoModelError, NotFoundError } from '../base/errors.js';
import { artifactFile, readArtifact, readCurrentPointer, type ModelArtifact } from './artifact.js';
import { learnerFor } from './learners.js';
import type { Algorithm, Regressor } from './model.js';

import { InputError } from '../base/errors.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface LoadedModel {
  readonly version: string;
  readonly algorithm: Algorithm;
  /** Known category names; index i of predict/predictGrid is categories[i]. */
  readonly categories: readonly string[];
  /** The artifact's metadata (metrics, hyperparameters, fingerprint, created_at). */
  readonly artifact: Omit<ModelArtifact, 'state'>;
  /** Predicted items_count (never negative) for day 0–6, hour 0–23, category index; arguments are not checked. */
  predict(day: number, hour: number, categoryIndex: number): number;
  /** Every cell's prediction; index = (day × 24 + hour) × categories.length + categoryIndex. A fresh copy (computed once). */
  predictGrid(): Float64Array;
  /** Index of a category name, case-insensitive and trimmed; NotFoundError with the closest names if unknown. */
  resolveCategory(name: string): number;
}

export const normalizeCategory = (name: string): string => name.trim().replace(/\s+/g, ' ').toLowerCase();

/** Up to `limit` known names closest (Levenshtein, on normalized text) to `name`. */
function closestCategories(name: string, categories: readonly string[], limit = 3): string[] {
  const wanted = normalizeCategory(name);
  return categories
    .map((c) => ({ c, d: distance(wanted, normalizeCategory(c)) }))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, limit)
    .map((x) => x.c);
}

class ArtifactModel implements LoadedModel {
  readonly version: string;
  readonly algorithm: Algorithm;
  readonly categories: readonly string[];
  readonly artifact: Omit<ModelArtifact, 'state'>;
  private readonly byName: Map<string, number>;
  /** Every cell's prediction, computed on the first predictGrid() and then also used by predict(). */
  private grid: Float64Array | undefined;

  constructor(
    artifact: ModelArtifact,
    private readonly model: Regressor,
  ) {
    const { state: _state, ...meta } = artifact;
    this.artifact = meta;
    this.version = artifact.version;
    this.algorithm = artifact.algorithm;
    this.categories = artifact.categories;
    this.byName = new Map(artifact.categories.map((c, i) => [normalizeCategory(c), i]));
  }

  predict(day: number, hour: number, categoryIndex: number): number {
    if (this.grid) return this.grid[(day * HOURS + hour) * this.categories.length + categoryIndex];
    const p = this.model.predict(day, hour, categoryIndex);
    return p > 0 ? p : 0;
  }

  predictGrid(): Float64Array {
    if (!this.grid) {
      const c = this.categories.length;
      let grid = this.model.predictGrid?.();
      if (!grid) {
        grid = new Float64Array(DAYS * HOURS * c);
        let i = 0;
        for (let d = 0; d < DAYS; d++)
          for (let h = 0; h < HOURS; h++) for (let k = 0; k < c; k++) grid[i++] = this.model.predict(d, h, k);
      }
      for (let i = 0; i < grid.length; i++) if (!(grid[i] > 0)) grid[i] = 0;
      this.grid = grid;
    }
    return this.grid.slice();
  }

  resolveCategory(name: string): number {
    const index = this.byName.get(normalizeCategory(name));
    if (index !== undefined) return index;
    const suggestions = closestCategories(name, this.categories);
    throw new NotFoundError(
      `unknown category ${JSON.stringify(name)}; closest known: ${suggestions.map((s) => JSON.stringify(s)).join(', ')}`,
      suggestions,
    );
  }
}

/** Builds a servable model from an artifact (restoring the learner's state). */
export function modelFromArtifact(artifact: ModelArtifact, source = artifact.version): LoadedModel {
  const learner = learnerFor(artifact.algorithm);
  if (!learner) throw new InputError(`${source}: unknown algorithm ${JSON.stringify(artifact.algorithm)}`);
  return new ArtifactModel(artifact, learner.restore(artifact.state, artifact.categories.length));
}

/** A model version's artifact from the models folder; NotFoundError when there is no such version. */
export async function loadModelVersion(modelsDir: string, version: string): Promise<LoadedModel> {
  const file = artifactFile(modelsDir, version);
  if (path.basename(file) !== `${version}.json` || version.includes('/')) {
    throw new NotFoundError(`no model version ${JSON.stringify(version)}`);
  }
  const artifact = await readArtifact(file);
  if (!artifact) throw new NotFoundError(`no model version ${JSON.stringify(version)} (no file ${file})`);
  return modelFromArtifact(artifact, file);
}

/** The current model, or null when no model has been trained (no pointer file). */
export async function loadCurrentModel(modelsDir: string): Promise<LoadedModel | null> {
  const pointer = await readCurrentPointer(modelsDir);
  if (!pointer) return null;
  const file = path.join(modelsDir, pointer.artifact);
  const artifact = await readArtifact(file);
  if (!artifact)
    throw new InputError(`${path.join(modelsDir, 'current.json')} names ${file}, which does not exist`);
  return modelFromArtifact(artifact, file);
}

export async function requireCurrentModel(modelsDir: string): Promise<LoadedModel> {
  const model = await loadCurrentModel(modelsDir);
  if (!model) throw new NoModelError();
  return model;
}
