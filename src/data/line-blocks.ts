// Reads a byte range of a file in blocks of whole lines: each block is handed out up to just past its
// last LF, and the incomplete line after it is carried into the next block. A last line without its
// newline gets one. Used by the fast paths (aggregate's scan threads, split's routing); synchronous so a
// scan thread can use it as is.
import fs from 'node:fs';

const LF = 10;
/** Large enough that the per-block overhead vanishes, small enough to stay in cache. */
export const DEFAULT_BLOCK_BYTES = 1 << 22;

export interface LineBlock {
  /** Reused for the next block: take what is needed before asking for it. */
  bytes: Buffer;
  /** bytes[0, end) are complete lines; 0 means a line longer than the block (not an orders row). */
  end: number;
}

/** The lines of bytes [start, end) of `file`, where `start` is the beginning of a line. */
export function* lineBlocks(
  file: string,
  start: number,
  end: number,
  blockBytes = DEFAULT_BLOCK_BYTES,
): Generator<LineBlock> {
  // One spare byte for the newline a last line may lack.
  const bytes = Buffer.allocUnsafe(blockBytes + 1);
  const fd = fs.openSync(file, 'r');
  try {
    let position = start;
    let carried = 0;
    for (;;) {
      const want = Math.min(blockBytes - carried, end - position);
      const read = want > 0 ? fs.readSync(fd, bytes, carried, want, position) : 0;
      position += read;
      let filled = carried + read;
      const atEnd = position >= end || read === 0;
      if (atEnd && filled > 0 && bytes[filled - 1] !== LF) bytes[filled++] = LF;
      const complete = atEnd ? filled : bytes.lastIndexOf(LF, filled - 1) + 1;
      if (complete > 0 || !atEnd) yield { bytes, end: complete };
      if (atEnd || complete === 0) return;
      carried = filled - complete;
      bytes.copy(bytes, 0, complete, filled);
    }
  } finally {
    fs.closeSync(fd);
  }
}
