// The model registry: one row per model version in the metadata store (table model_versions, sql/0003_models.sql)
// next to its artifact file. Registering numbers the version (v1, v2, …) under an advisory lock, writes the
// artifact atomically and inserts the row in one transaction: a failed write leaves no row behind.
import { readdir } from 'node:fs/promises';
import type { Db } from '../store/db.js';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeArtifact, type ModelArtifact } from './artifact.js';

/** Arbitrary constant key of the advisory lock that serializes version numbering ("models" in ASCII). */
const VERSION_LOCK_KEY = 0x6d6f64656c73;

export interface ModelVersionRecord {
  seq: number;
  version: string;
  algorithm: string;
  hyperparameters: Record<string, unknown>;
  metrics: ModelArtifact['metrics'];
  candidates: ModelArtifact['candidates'];
  evaluation: ModelArtifact['evaluation'];
  fingerprint: string;
  trainingMode: string;
  trainingRows: number;
  categoryCount: number;
  inputPath: string | null;
  artifactPath: string;
  createdAt: string;
  /** How it compared with the champion when trained (null for versions from before promotion rules). */
  decision: ModelArtifact['decision'] | null;
}

const SELECT = `SELECT seq, version, algorithm, hyperparameters, metrics, candidates, evaluation, fingerprint,
  training_mode, training_rows, category_count, input_path, artifact_path, decision,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
  FROM model_versions`;

interface Row {
  seq: number;
  version: string;
  algorithm: string;
  hyperparameters: Record<string, unknown>;
  metrics: ModelArtifact['metrics'];
  candidates: ModelArtifact['candidates'];
  evaluation: ModelArtifact['evaluation'];
  fingerprint: string;
  training_mode: string;
  training_rows: number;
  category_count: number;
  input_path: string | null;
  artifact_path: string;
  decision: ModelArtifact['decision'] | null;
  created_at: string;
}

const toRecord = (r: Row): ModelVersionRecord => ({
  seq: Number(r.seq),
  version: r.version,
  algorithm: r.algorithm,
  hyperparameters: r.hyperparameters,
  metrics: r.metrics,
  candidates: r.candidates,
  evaluation: r.evaluation,
  fingerprint: r.fingerprint,
  trainingMode: r.training_mode,
  trainingRows: Number(r.training_rows),
  categoryCount: Number(r.category_count),
  inputPath: r.input_path,
  artifactPath: r.artifact_path,
  createdAt: r.created_at,
  decision: r.decision ?? null,
});

/** Highest N among vN.json files already in the models folder (another store may have numbered them). */
async function highestArtifactNumber(modelsDir: string): Promise<number> {
  const files = await readdir(modelsDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return files.reduce((max, f) => {
    const m = /^v(\d+)\.json$/.exec(f);
    return m ? Math.max(max, Number(m[1])) : max;
  }, 0);
}

/** The artifact stored with `version` (undefined: no such version, or registered before sql/0014 stored them). */
export async function storedArtifact(db: Db, version: string): Promise<ModelArtifact | undefined> {
  const [row] = await db.query<{ artifact_gz: Uint8Array | null }>(
    'SELECT artifact_gz FROM model_versions WHERE version = $1',
    [version],
  );
  return row?.artifact_gz
    ? (JSON.parse(gunzipSync(row.artifact_gz).toString('utf8')) as ModelArtifact)
    : undefined;
}

export type UnversionedArtifact = Omit<ModelArtifact, 'version' | 'createdAt'>;

export class ModelRegistry {
  constructor(
    private readonly db: Db,
    private readonly modelsDir: string,
  ) {}

  /** Numbers a new version, writes its artifact and records it; returns the artifact as written and its path. */
  async register(entry: UnversionedArtifact): Promise<{ artifact: ModelArtifact; file: string }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [VERSION_LOCK_KEY]);
      const [{ next }] = await tx.query<{ next: number }>(
        'SELECT coalesce(max(seq), 0) + 1 AS next FROM model_versions',
      );
      const seq = Math.max(Number(next), (await highestArtifactNumber(this.modelsDir)) + 1);
      const artifact: ModelArtifact = { ...entry, version: `v${seq}`, createdAt: new Date().toISOString() };
      const file = await writeArtifact(this.modelsDir, artifact);
      await tx.query(
        `INSERT INTO model_versions (seq, version, algorithm, hyperparameters, metrics, candidates, evaluation,
           fingerprint, training_mode, training_rows, category_count, input_path, artifact_path, created_at, decision,
           artifact_gz)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12, $13, $14::timestamptz,
           $15::jsonb, $16)`,
        [
          seq,
          artifact.version,
          artifact.algorithm,
          JSON.stringify(artifact.hyperparameters),
          JSON.stringify(artifact.metrics),
          JSON.stringify(artifact.candidates),
          JSON.stringify(artifact.evaluation),
          artifact.fingerprint,
          artifact.trainingMode,
          artifact.trainingRows,
          artifact.categories.length,
          artifact.inputPath,
          file,
          artifact.createdAt,
          artifact.decision === undefined ? null : JSON.stringify(artifact.decision),
          // The same artifact for other machines' models folders (model-sync.ts).
          gzipSync(JSON.stringify(artifact)),
        ],
      );
      return { artifact, file };
    });
  }

  /** Every version, newest first. */
  async list(): Promise<ModelVersionRecord[]> {
    return (await this.db.query<Row>(`${SELECT} ORDER BY seq DESC`)).map(toRecord);
  }

  /** The oldest version trained on data with this fingerprint, if any (same data → no new version). */
  async findByFingerprint(fingerprint: string): Promise<ModelVersionRecord | undefined> {
    const rows = await this.db.query<Row>(`${SELECT} WHERE fingerprint = $1 ORDER BY seq LIMIT 1`, [
      fingerprint,
    ]);
    return rows.length > 0 ? toRecord(rows[0]) : undefined;
  }

  async get(version: string): Promise<ModelVersionRecord | undefined> {
    const rows = await this.db.query<Row>(`${SELECT} WHERE version = $1`, [version]);
    return rows.length > 0 ? toRecord(rows[0]) : undefined;
  }
}
