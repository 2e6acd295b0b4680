// Opens what a command needs (metadata store, Redis) and closes it afterwards, in reverse order.
// Redis is optional for stages that can go on without it (the ledger is the source of truth).
import { connectRedis, type Redis } from '../redis/redis.js';
import type { Db } from '../store/db.js';
import { openStore } from '../store/open.js';
import type { CommandContext } from './context.js';

export interface Resources {
  db: Db;
  /** Undefined when Redis could not be reached (a warning was printed). */
  redis: Redis | undefined;
}

export async function withResources<T>(
  ctx: CommandContext,
  options: { serve?: boolean },
  fn: (resources: Resources) => Promise<T>,
): Promise<T> {
  const db = await openStore(ctx.config, ctx.logger, { serve: options.serve ?? false });
  let redis: Redis | undefined;
  try {
    redis = await connectRedis(ctx.config).catch((err: Error) => {
      ctx.err(`warning: ${err.message}`);
      return undefined;
    });
    return await fn({ db, redis });
  } finally {
    redis?.disconnect();
    await db.close();
  }
}
