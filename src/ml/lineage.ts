// Lineage of a model version: which data it was trained on — each aggregate, the files summed into it and, for the
// incremental output, the ledger generation — recorded in the artifact at training time, and the explanation
// `predict --explain` and `GET /api/predictions/…?explain=true` return with an answer (read from the artifact
// already loaded for serving: no store, no extra file).
import { holdoutPathFor, readHoldoutFile } from '../ingest/read/holdout.js';
import type { InputLineage, ModelArtifact } from './artifact.js';
import type { LoadedModel } from './predictor.js';

export async function readLineage(inputs: readonly string[]): Promise<InputLineage[]> {
  const out: InputLineage[] = [];
  for (const aggregate of inputs) {
    const sources = (await readHoldoutFile(holdoutPathFor(aggregate)).catch(() => undefined))?.sources;
    out.push({ aggregate, files: sources?.files ?? null, generation: sources?.generation ?? null });
  }
  return out;
}

export interface Explanation {
  model_version: string;
  algorithm: string;
  trained_at: string;
  metrics: ModelArtifact['metrics'];
  evaluation: ModelArtifact['evaluation'];
  /** How it compared with the champion when it was trained. */
  decision: ModelArtifact['decision'] | null;
  fingerprint: string;
  training_data: {
    mode: string;
    total_items: number | null;
    orders: number | null;
    /** The ledger generation of the incremental output it was trained on (null: batch only, or unknown). */
    ledger_generation: number | null;
    inputs: InputLineage[];
  };
}

export function explainModel(model: LoadedModel): Explanation {
  const a = model.artifact;
  const inputs =
    a.lineage ??
    (a.inputs ?? (a.inputPath ? [a.inputPath] : [])).map((aggregate) => ({
      aggregate,
      files: null,
      generation: null,
    }));
  const generation = inputs.find((i) => i.generation !== null)?.generation ?? null;
  return {
    model_version: model.version,
    algorithm: model.algorithm,
    trained_at: a.createdAt,
    metrics: a.metrics,
    evaluation: a.evaluation,
    decision: a.decision ?? null,
    fingerprint: a.fingerprint,
    training_data: {
      mode: a.trainingMode,
      total_items: a.totalItems ?? null,
      orders: a.orders ?? null,
      ledger_generation: generation,
      inputs,
    },
  };
}

/** The explanation as text lines (`predict --explain`). */
export function explanationLines(e: Explanation): string[] {
  const ev = e.evaluation;
  const judged = ev.orders
    ? `held-out orders, noise floor ${ev.orders.noiseFloor.toFixed(4)}`
    : `held-out cells (${ev.split})`;
  const lines = [
    `model      ${e.model_version} (${e.algorithm}), trained ${e.trained_at}`,
    `metrics    holdout RMSE ${e.metrics.holdout.rmse.toFixed(4)}, MAE ${e.metrics.holdout.mae.toFixed(4)} on ${judged}`,
    ...(e.decision ? [`promotion  ${e.decision.reason}`] : []),
    `data       fingerprint ${e.fingerprint}, ${e.training_data.total_items ?? '?'} items` +
      `${e.training_data.orders === null ? '' : `, ${e.training_data.orders} orders`}` +
      `, ledger generation ${e.training_data.ledger_generation ?? '-'}`,
  ];
  for (const input of e.training_data.inputs) {
    const files = input.files === null ? 'files not recorded' : `${input.files.length} file(s)`;
    lines.push(
      `input      ${input.aggregate}${input.generation === null ? '' : ` (generation ${input.generation})`}: ${files}`,
    );
    for (const f of input.files ?? []) lines.push(`             ${f}`);
  }
  return lines;
}
