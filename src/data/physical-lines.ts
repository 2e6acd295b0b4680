// Streams the physical lines of a file (ended by LF, a CR before it dropped) with bounded memory: a line
// longer than the limit is not held — its bytes are skipped up to the next LF and it comes out as
// `tooLong` with only its first bytes, so a 200 MB line costs the read buffer, not 200 MB (or, as text
// inside a CSV parser, several times that). Every line is checked to be UTF-8; the first invalid byte stops
// the read with an InputError naming the file and byte offset.
import fs from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { InputError } from '../base/errors.js';

export interface PhysicalLine {
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The line without its ending; for a too-long line, its first PREVIEW_BYTES only. */
  text: string;
  tooLong: boolean;
}

export interface PhysicalLineOptions {
  /** Lines longer than this many bytes are reported as too long. @defaultValue 1 MiB */
  maxLineBytes?: number;
  /** Byte offset of the first line to read (just past the header). @defaultValue 0 */
  start?: number;
  /** Line number of the line at `start`. @defaultValue 1 */
  firstLine?: number;
  /** Read size. @defaultValue 256 KiB */
  chunkBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
const PREVIEW_BYTES = 200;
const LF = 10;
const CR = 13;

/** Offset of the first byte of `bytes` that is not part of valid UTF-8 (bytes is known to be invalid). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const width =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (width === 0 || !isUtf8(bytes.subarray(i, i + width))) return i;
    i += width;
  }
  return bytes.length;
}

function decode(file: string, bytes: Buffer, offset: number): string {
  if (!isUtf8(bytes)) {
    const at = offset + firstInvalidUtf8(bytes);
    throw new InputError(
      `${file}: not valid UTF-8 at byte ${at} (0x${bytes[at - offset].toString(16).padStart(2, '0')}); ` +
        'orderflow reads UTF-8 text: convert the file (e.g. iconv -f latin1 -t utf-8)',
    );
  }
  return bytes.toString('utf8');
}

export async function* physicalLines(
  file: string,
  options: PhysicalLineOptions = {},
): AsyncGenerator<PhysicalLine> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const chunk = Buffer.allocUnsafe(options.chunkBytes ?? 256 * 1024);
  const handle = await fs.open(file, 'r');
  try {
    let position = options.start ?? 0;
    let line = options.firstLine ?? 1;
    let parts: Buffer[] = [];
    let partBytes = 0;
    let lineStart = position;
    let tooLong = false;
    const finish = (): PhysicalLine => {
      let bytes = Buffer.concat(parts, partBytes);
      if (!tooLong && bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
      const text = tooLong
        ? bytes.subarray(0, PREVIEW_BYTES).toString('utf8')
        : decode(file, bytes, lineStart);
      const out = { line, offset: lineStart, text, tooLong };
      parts = [];
      partBytes = 0;
      tooLong = false;
      line++;
      return out;
    };
    const take = (bytes: Buffer) => {
      if (tooLong) return;
      if (partBytes + bytes.length > maxLineBytes + 1) {
        // Keep just the preview; drop the rest of the line as it streams past.
        const kept = Buffer.concat([...parts, bytes]).subarray(0, PREVIEW_BYTES);
        parts = [Buffer.from(kept)];
        partBytes = kept.length;
        tooLong = true;
        return;
      }
      parts.push(Buffer.from(bytes));
      partBytes += bytes.length;
    };
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      let from = 0;
      for (;;) {
        const lf = chunk.indexOf(LF, from);
        if (lf < 0 || lf >= bytesRead) break;
        take(chunk.subarray(from, lf));
        yield finish();
        from = lf + 1;
        lineStart = position + from;
      }
      if (from < bytesRead) take(chunk.subarray(from, bytesRead));
      position += bytesRead;
    }
    if (partBytes > 0 || tooLong) yield finish();
  } finally {
    await handle.close();
  }
}
