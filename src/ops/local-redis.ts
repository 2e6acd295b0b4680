// `npm start` needs a Redis. If nothing answers at REDIS_URL and `redis-server` is installed, orderflow runs
// a private one for the lifetime of the process: bound to the URL's host and port, AOF on (everysec), data
// under DATA_DIR/redis, stopped (with its final AOF write) on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { connectRedis } from '../redis.js';
import { describeRedisTarget, usesSentinels } from '../redis-options.js';

export interface RedisHandle {
  /** Whether orderflow started this server (and will stop it). */
  started: boolean;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'install Redis (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`) or point REDIS_URL at a running server';

async function onPath(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (
      await fs.access(candidate, fs.constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

async function answers(config: Config): Promise<boolean> {
  try {
    (await connectRedis(config, { connectTimeoutMs: 500 })).disconnect();
    return true;
  } catch {
    return false;
  }
}

export async function ensureRedis(config: Config, logger: Logger): Promise<RedisHandle> {
  if (await answers(config)) return { started: false, stop: async () => {} };
  const url = new URL(config.redisUrl);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname);
  const binary = await onPath('redis-server');
  if (usesSentinels(config)) {
    // The sentinels decide where the primary is: starting a Redis of our own would not make them name it.
    throw new UnavailableError(`nothing answers at ${describeRedisTarget(config)}: ${INSTALL_HINT}`);
  }
  if (!local || !binary || url.password || url.protocol === 'rediss:') {
    throw new UnavailableError(
      `nothing answers at ${describeRedisTarget(config)}` +
        (local
          ? binary
            ? ' (and it needs a password or TLS, so orderflow will not start its own)'
            : ' and redis-server is not installed'
          : '') +
        `: ${INSTALL_HINT}`,
    );
  }
  const port = url.port || '6379';
  await fs.mkdir(config.paths.redisDir, { recursive: true });
  const child: ChildProcess = spawn(
    binary,
    [
      '--bind',
      url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, ''),
      '--port',
      port,
      '--dir',
      config.paths.redisDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      path.join(config.paths.redisDir, 'redis.log'),
    ],
    // Its own process group: a Ctrl-C in the terminal must reach orderflow only, which stops Redis last.
    { stdio: 'ignore', detached: true },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 50 && !exited; i++) {
    if (await answers(config)) {
      logger.info({ port, dir: config.paths.redisDir }, 'started a private redis-server');
      return {
        started: true,
        stop: async () => {
          if (exited) return;
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await gone;
        },
      };
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new UnavailableError(
    `could not start redis-server on port ${port} (see ${path.join(config.paths.redisDir, 'redis.log')}): ${INSTALL_HINT}`,
  );
}
