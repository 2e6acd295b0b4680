// `simulate-arrival`: replays the original system's arrivals by copying day folders (data/raw/<d>) into
// incremental/raw one at a time. Each file is written under a temp name and renamed, as real writers must.
// Folders already delivered are skipped, so a restarted simulation resumes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../../base/errors.js';
import { compareBatches, isCompleteFileName } from './arrivals.js';

export interface SimulateOptions {
  from: string;
  to: string;
  everyMs: number;
  signal?: AbortSignal;
  onDelivered?(batch: string, files: string[]): void;
}

export async function deliverBatch(fromDir: string, toDir: string): Promise<string[]> {
  await fs.mkdir(toDir, { recursive: true });
  const delivered: string[] = [];
  for (const name of (await fs.readdir(fromDir)).filter(isCompleteFileName).sort()) {
    const temp = path.join(toDir, `.${name}.part`);
    await fs.copyFile(path.join(fromDir, name), temp);
    await fs.rename(temp, path.join(toDir, name));
    delivered.push(path.join(toDir, name));
  }
  return delivered;
}

export async function simulateArrival(options: SimulateOptions): Promise<string[]> {
  const entries = await fs.readdir(options.from, { withFileTypes: true }).catch(() => {
    throw new InputError(`${options.from}: no such folder (run \`orderflow split\` first, or pass --from)`);
  });
  const batches = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(compareBatches);
  const delivered: string[] = [];
  for (const batch of batches) {
    if (options.signal?.aborted) break;
    const target = path.join(options.to, batch);
    if (
      await fs.stat(target).then(
        () => true,
        () => false,
      )
    )
      continue;
    if (delivered.length > 0) {
      try {
        await sleep(options.everyMs, undefined, { signal: options.signal });
      } catch {
        break;
      }
    }
    const files = await deliverBatch(path.join(options.from, batch), target);
    delivered.push(batch);
    options.onDelivered?.(batch, files);
  }
  return delivered;
}
