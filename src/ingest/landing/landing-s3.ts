// The landing area in an S3-compatible bucket (AWS S3, MinIO, …): ORDERFLOW_LANDING=s3://bucket/prefix, with
// ORDERFLOW_S3_ENDPOINT for servers other than AWS and the standard AWS_REGION / AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY. A key "<prefix>/<batch>/<name>.csv" is the file "<batch>/<name>.csv"; a
// "<prefix>/<batch>/_SUCCESS" key marks its batch whole. An object is whole once it is listed (a PUT is atomic),
// so nothing waits; a changed object has another ETag. Objects are read from a local copy under
// DATA_DIR/incremental/.s3-cache, downloaded to a temp name and renamed, so several machines need no shared disk.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../base/config.js';
import { InputError } from '../../base/errors.js';
import { isCompleteFileName, SUCCESS_MARKER } from './arrivals.js';
import type { ArrivedFile } from '../files.js';
import { chunkCount, chunksOfPart } from '../read/content-hash.js';
import type { PartChunks } from '../read/file-aggregate.js';
import type { LandingArea } from '../files.js';
import type { FileStat } from '../files.js';

// The SDK warns on every process under Node 20 that its releases after January 2027 will need Node 22; the
// version locked here supports Node 20, so the warning would only alarm operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function parseLocation(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match) throw new InputError(`ORDERFLOW_LANDING=${location}: expected s3://bucket/prefix`);
  const prefix = match[2].replace(/\/+$/, '');
  return { bucket: match[1], prefix: prefix ? `${prefix}/` : '' };
}

export class S3Landing implements LandingArea {
  readonly isDirectory = false;
  readonly location: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly cacheDir: string;

  constructor(config: Pick<Config, 'ingest' | 'dataDir'>) {
    const { landing, s3 } = config.ingest;
    this.location = landing;
    ({ bucket: this.bucket, prefix: this.prefix } = parseLocation(landing));
    this.cacheDir = path.join(config.dataDir, 'incremental', '.s3-cache');
    this.client = new S3Client({
      region: s3.region,
      ...(s3.endpoint ? { endpoint: s3.endpoint, forcePathStyle: true } : {}),
      ...(s3.accessKeyId && s3.secretAccessKey
        ? { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }
        : {}),
    });
  }

  async list(): Promise<ArrivedFile[]> {
    const files: ArrivedFile[] = [];
    const markedDone = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const relative = object.Key!.slice(this.prefix.length);
        const [batch, name, ...deeper] = relative.split('/');
        if (!batch || !name || deeper.length > 0 || batch.startsWith('.')) continue;
        if (name === SUCCESS_MARKER) markedDone.add(batch);
        if (!isCompleteFileName(name)) continue;
        const modified = object.LastModified?.getTime() ?? 0;
        files.push({
          path: relative,
          batch,
          absolute: path.join(this.cacheDir, relative),
          size: object.Size ?? 0,
          mtimeMs: modified,
          ctimeMs: modified,
          inode: object.ETag ?? '',
          batchMarkedDone: false,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (const f of files) f.batchMarkedDone = markedDone.has(f.batch);
    return files.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Downloads the object (if its ETag moved since the cached copy) to DATA_DIR/incremental/.s3-cache. */
  async materialize(file: ArrivedFile): Promise<string> {
    const etagFile = `${file.absolute}.etag`;
    const cached = await fs.readFile(etagFile, 'utf8').catch(() => null);
    if (cached === file.inode) return file.absolute;
    await fs.mkdir(path.dirname(file.absolute), { recursive: true });
    const temp = `${file.absolute}.${process.pid}.${randomUUID().slice(0, 8)}.download`;
    // If the object is replaced during the download, unchanged() says so before anything is committed.
    const object = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + file.path }),
    );
    await pipeline(object.Body as Readable, createWriteStream(temp));
    await fs.rename(temp, file.absolute);
    await fs.writeFile(etagFile, file.inode);
    return file.absolute;
  }

  /**
   * Downloads only what part `chunks` of the object needs (range GETs, pinned to the listed ETag): its header line,
   * and its chunks from the byte before the first one (where its first line start is found) up to the first line
   * end after its last one, written at their offsets into a sparse local file of the object's size. The parts of
   * an object together download it about once.
   */
  async materializePart(
    file: ArrivedFile,
    chunks: PartChunks,
  ): Promise<{ path: string; discard(): Promise<void> }> {
    const { first, end } = chunksOfPart(chunkCount(file.size, chunks.chunkBytes), chunks.index, chunks.count);
    const local = path.join(
      this.cacheDir,
      '.parts',
      `${file.path}.${process.pid}.${randomUUID().slice(0, 8)}.part${chunks.index}`,
    );
    await fs.mkdir(path.dirname(local), { recursive: true });
    const handle = await fs.open(local, 'w');
    const discard = () => fs.rm(local, { force: true });
    try {
      await handle.truncate(file.size);
      await this.fetchToLineEnd(handle, file, 0);
      const from = Math.max(0, first * chunks.chunkBytes - 1);
      const to = Math.min(file.size, end * chunks.chunkBytes);
      await this.fetchRange(handle, file, from, to);
      if (to < file.size) await this.fetchToLineEnd(handle, file, to);
    } catch (err) {
      await handle.close();
      await discard();
      throw err;
    }
    await handle.close();
    return { path: local, discard };
  }

  /** Bytes [from, to) of the object as listed (a changed object answers 412: the part is read again). */
  private async fetchRange(
    handle: fs.FileHandle,
    file: ArrivedFile,
    from: number,
    to: number,
  ): Promise<Buffer> {
    if (to <= from) return Buffer.alloc(0);
    const object = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + file.path,
        Range: `bytes=${from}-${to - 1}`,
        IfMatch: file.inode || undefined,
      }),
    );
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    await handle.write(bytes, 0, bytes.length, from);
    return bytes;
  }

  /**
   * From `from` on, in growing steps, up to and including the first LF (or the object's end). The first step (4 KiB)
   * holds a 134-aisle header or a few order lines: what a part reads beyond its own range stays small.
   */
  private async fetchToLineEnd(handle: fs.FileHandle, file: ArrivedFile, from: number): Promise<void> {
    for (let at = from, step = 4 << 10; at < file.size; at += step, step *= 2) {
      const bytes = await this.fetchRange(handle, file, at, Math.min(file.size, at + step));
      if (bytes.includes(10)) return;
    }
  }

  async unchanged(file: ArrivedFile): Promise<boolean> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + file.path }),
      );
      return head.ETag === file.inode && head.ContentLength === file.size;
    } catch (err) {
      if ((err as { name?: string }).name === 'NotFound') return false;
      throw err;
    }
  }

  /** A listed object is whole: S3 shows an object only once its upload completed. */
  async waitReason(): Promise<string | null> {
    return null;
  }

  describe(relative: string): string {
    return `s3://${this.bucket}/${this.prefix}${relative}`;
  }

  locate(relative: string, batch: string, stat: FileStat): ArrivedFile {
    const absolute = path.join(this.cacheDir, relative);
    return { path: relative, batch, absolute, ...stat, batchMarkedDone: false };
  }
}
