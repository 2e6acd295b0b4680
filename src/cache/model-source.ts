// The current model kept in memory for the hot path. The pointer file (DATA_DIR/models/current.json) is
// stat'ed at most once per `checkIntervalMs`; the model is reloaded only when the pointer file changed
// (new inode or mtime: it is always replaced by rename). Never reads the metadata store.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NoModelError } from '../base/errors.js';
import { POINTER_FILE } from '../ml/artifact.js';
import { loadCurrentModel, type LoadedModel } from '../ml/predictor.js';

export interface ModelSourceOptions {
  /** How often at most the pointer file is checked for a new model. @defaultValue 1000 */
  checkIntervalMs?: number;
}

export class ModelSource {
  private model: LoadedModel | null = null;
  private stamp = '';
  private checkedAt = -Infinity;
  private loading: Promise<LoadedModel | null> | undefined;
  private readonly checkIntervalMs: number;

  constructor(
    readonly modelsDir: string,
    options: ModelSourceOptions = {},
  ) {
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
  }

  /** The current model (null when none is trained), reloaded if the pointer moved since the last check. */
  current(): Promise<LoadedModel | null> {
    if (performance.now() - this.checkedAt < this.checkIntervalMs) return Promise.resolve(this.model);
    this.loading ??= this.check().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Like current(), but NoModelError when no model is trained. */
  async require(): Promise<LoadedModel> {
    const model = await this.current();
    if (!model) throw new NoModelError();
    return model;
  }

  /** Forgets the last check so the next current() looks at the pointer file again. */
  invalidate(): void {
    this.checkedAt = -Infinity;
  }

  private async check(): Promise<LoadedModel | null> {
    const stamp = await pointerStamp(this.modelsDir);
    if (stamp !== this.stamp || (stamp !== '' && !this.model)) {
      this.model = stamp === '' ? null : await loadCurrentModel(this.modelsDir);
      this.stamp = stamp;
    }
    this.checkedAt = performance.now();
    return this.model;
  }
}

async function pointerStamp(modelsDir: string): Promise<string> {
  try {
    const s = await stat(path.join(modelsDir, POINTER_FILE));
    return `${s.ino}:${s.mtimeMs}:${s.size}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
