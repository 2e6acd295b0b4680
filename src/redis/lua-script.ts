// Runs a Lua script by SHA (EVALSHA), loading it with EVAL when the server does not know it yet
// (first use, after a restart or SCRIPT FLUSH). One place, so each script is sent in full at most once.
import { createHash } from 'node:crypto';
import type { Redis } from './redis.js';

export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
