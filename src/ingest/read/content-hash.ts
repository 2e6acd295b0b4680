// A file's content identity, computed by the parts that read it rather than by one pass before planning: the file
// is cut into chunks of about CHUNK_BYTES at line starts (chunk j starts at the first line start at or after
// j × CHUNK_BYTES), each part reads and hashes whole chunks, and the file's hash is the SHA-256 of its chunks'
// SHA-256s in order (the scheme of Dropbox's content_hash, with line-aligned chunks). The cut points depend on
// the bytes only, so the same bytes under another path, on another machine, split into any number of parts,
// give the same hash — as strong as one SHA-256 of the whole file, and computed in parallel.
//
// Parts are made of whole chunks, so their byte ranges start at line starts too and neighbouring parts meet
// exactly; the scanner reads each part's range (a cut inside a quoted field makes it give up, as before).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';

/** The chunk size of content hashes. @defaultValue 4 MiB (smaller only when ORDERFLOW_RANGE_BYTES is). */
const CHUNK_BYTES = 4 << 20;

const LF = 10;
const READ_BYTES = 1 << 20;

/** The chunk size for a range size: ranges below 4 MiB (tests, tiny deployments) get chunks of their size. */
export function chunkBytesFor(rangeBytes: number): number {
  return Math.min(CHUNK_BYTES, rangeBytes);
}

/** How many chunks a file of `size` bytes has (at least one: an empty file is one empty chunk). */
export function chunkCount(size: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(size / chunkBytes));
}

/** How many parts a file is read as: one per started `rangeBytes`, never more than its chunks. */
export function partCount(size: number, rangeBytes: number): number {
  const chunks = chunkCount(size, chunkBytesFor(rangeBytes));
  return Math.min(chunks, Math.max(1, Math.ceil(size / rangeBytes)));
}

/** The chunks part `index` of `count` reads: [first, end) of the file's chunk indices. */
export function chunksOfPart(chunks: number, index: number, count: number): { first: number; end: number } {
  return { first: Math.floor((chunks * index) / count), end: Math.floor((chunks * (index + 1)) / count) };
}

/** The first line start at or after `offset` (the file's size when no LF follows). */
async function lineStartAfter(handle: fs.FileHandle, offset: number, size: number): Promise<number> {
  if (offset <= 0) return 0;
  const window = Buffer.alloc(64 * 1024);
  // A line starts at `offset` when the byte before it is a LF.
  for (let at = offset - 1; at < size; at += window.length) {
    const { bytesRead } = await handle.read(window, 0, Math.min(window.length, size - at), at);
    if (bytesRead === 0) break;
    const lf = window.subarray(0, bytesRead).indexOf(LF);
    if (lf >= 0) return at + lf + 1;
  }
  return size;
}

/** The byte offsets where chunks [first, end] start (end's start = where the last one ends). */
export async function chunkStarts(
  handle: fs.FileHandle,
  size: number,
  chunkBytes: number,
  first: number,
  end: number,
): Promise<number[]> {
  const chunks = chunkCount(size, chunkBytes);
  const starts: number[] = [];
  for (let j = first; j <= end; j++)
    starts.push(j >= chunks ? size : await lineStartAfter(handle, j * chunkBytes, size));
  return starts;
}

/** The SHA-256 of each chunk between consecutive `starts`, concatenated (32 bytes each). */
export async function hashChunks(handle: fs.FileHandle, starts: readonly number[]): Promise<Buffer> {
  const out = Buffer.alloc(32 * (starts.length - 1));
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  for (let j = 0; j + 1 < starts.length; j++) {
    const hash = createHash('sha256');
    for (let at = starts[j]; at < starts[j + 1];) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BYTES, starts[j + 1] - at), at);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${at} while hashing it (it shrank)`);
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    hash.digest().copy(out, 32 * j);
  }
  return out;
}

/** The file's content hash (hex) from its parts' chunk hashes, in part order. */
export function contentHash(chunkHashes: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const h of chunkHashes) hash.update(h);
  return hash.digest('hex');
}

/** The content hash of a whole file in one pass (tests, reprocess): what its parts together compute. */
export async function contentHashOf(file: string, chunkBytes: number): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const starts = await chunkStarts(handle, size, chunkBytes, 0, chunkCount(size, chunkBytes));
    return contentHash([await hashChunks(handle, starts)]);
  } finally {
    await handle.close();
  }
}
