// Outputs are replaced atomically: written beside their final name, fsynced, then renamed over it.
// A crash leaves either the old output or the new one, never half of one.
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';

function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempNameFor(target);
  try {
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/** A write stream to a temp file; `commit()` renames it over the target, `abort()` removes it. */
export interface AtomicWriter {
  stream: WriteStream;
  write(chunk: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export async function openAtomicWriter(target: string): Promise<AtomicWriter> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempNameFor(target);
  const stream = createWriteStream(temp);
  return {
    stream,
    async write(chunk) {
      if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    },
    async commit() {
      stream.end();
      await finished(stream);
      const handle = await fs.open(temp, 'r');
      await handle.sync();
      await handle.close();
      await fs.rename(temp, target);
    },
    async abort() {
      // Pending writes fail once the stream is destroyed: that is expected here, not an error to report.
      stream.on('error', () => {});
      if (!stream.closed) {
        const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
        stream.destroy();
        await closed;
      }
      await fs.rm(temp, { force: true });
    },
  };
}

/**
 * Replaces a directory by one built at `built` (a sibling made with `siblingTempDir`): the old one is
 * renamed aside, the new one renamed in, the old one removed. Readers see the old or the new tree.
 */
export async function replaceDirectory(built: string, target: string): Promise<void> {
  const aside = `${target}.old-${process.pid}-${Date.now()}`;
  const hadOld = await fs
    .rename(target, aside)
    .then(() => true)
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    });
  await fs.rename(built, target);
  if (hadOld) await fs.rm(aside, { recursive: true, force: true });
}

export function siblingTempDir(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
}
