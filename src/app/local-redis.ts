// `npm start` needs a Redis. If nothing answers at REDIS_URL and `redis-server` is installed, orderflow runs
// a private one for the lifetime of the process: bound to the URL's host and port, AOF on (everysec), data
// under DATA_DIR/redis, stopped (with its final AOF write) on exit. Its pid is kept in DATA_DIR/redis/
// orderflow-redis.json, so one left running by a start that was killed (kill -9) is recognised by the next
// start, reused and stopped when that start ends, never orphaned.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../base/config.js';
import { UnavailableError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { connectRedis } from '../redis/redis.js';
import { RedisAuthError } from '../redis/redis-failure.js';
import { processAlive } from '../base/temp-files.js';
import { describeRedisTarget, usesSentinels } from '../redis/redis-options.js';

export interface RedisHandle {
  /** Whether orderflow started this server (and will stop it). */
  started: boolean;
  /** Set when the server is one a killed start left running (recognised by its pid file), now ours to stop. */
  reusedPid?: number;
  /** Stops the server orderflow started (SIGTERM, then SIGKILL after 3 s); a no-op otherwise. */
  stop(): Promise<void>;
}

interface PidFile {
  pid: number;
  port: string;
}

const pidFilePath = (config: Config): string => path.join(config.paths.redisDir, 'orderflow-redis.json');

async function readPidFile(config: Config): Promise<PidFile | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(pidFilePath(config), 'utf8')) as Partial<PidFile>;
    return typeof parsed.pid === 'number' && typeof parsed.port === 'string'
      ? { pid: parsed.pid, port: parsed.port }
      : undefined;
  } catch {
    return undefined; // no pid file (or a torn one): nothing to recognise
  }
}

/** A pid file's process is ours only while it runs redis-server (pids are reused); Linux can tell. */
async function isRedisServer(pid: number): Promise<boolean> {
  if (!processAlive(pid)) return false;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined ? true : cmdline.includes('redis-server');
}

/** SIGTERM (Redis writes its AOF and exits), SIGKILL if it is still there after 3 s. */
async function stopPid(pid: number, exited: () => boolean): Promise<void> {
  const send = (signal: NodeJS.Signals): void => {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  };
  send('SIGTERM');
  for (let i = 0; i < 30 && !exited(); i++) await sleep(100);
  if (!exited()) send('SIGKILL');
}

function handleFor(config: Config, pid: number, exited: () => boolean): RedisHandle {
  let stopping: Promise<void> | undefined;
  return {
    started: true,
    stop: () =>
      (stopping ??= (async () => {
        if (!exited()) await stopPid(pid, exited);
        await fs.rm(pidFilePath(config), { force: true });
      })()),
  };
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

/** Undefined when Redis answers, else why not (a wrong password is said as such by connectRedis). */
async function failure(config: Config): Promise<Error | undefined> {
  try {
    (await connectRedis(config, { connectTimeoutMs: 500 })).disconnect();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

const answers = async (config: Config): Promise<boolean> => (await failure(config)) === undefined;

/** A private server a killed start left running: reused when it answers, else stopped (not left unowned). */
async function reuseLeftServer(config: Config, logger: Logger): Promise<RedisHandle | undefined> {
  const left = await readPidFile(config);
  if (!left || !(await isRedisServer(left.pid))) return undefined;
  if (await answers(config)) {
    logger.info({ pid: left.pid }, 'reusing the private redis-server a previous start left running');
    return { ...handleFor(config, left.pid, () => !processAlive(left.pid)), reusedPid: left.pid };
  }
  // Left by a start on another port: stop it rather than leave it running unowned.
  await stopPid(left.pid, () => !processAlive(left.pid));
  return undefined;
}

/** The redis-server binary to start for REDIS_URL, or the reason (`why` nothing answers) orderflow will not. */
async function startableBinary(config: Config, why: Error): Promise<string> {
  const url = new URL(config.redisUrl);
  // Something answered but refused us (a wrong password): starting another server would not help.
  if (why instanceof RedisAuthError) throw why;
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
  return binary;
}

function spawnRedisServer(config: Config, binary: string, url: URL, port: string): ChildProcess {
  return spawn(
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
}

/** Starts a private redis-server for REDIS_URL and waits (up to 5 s) until it answers. */
async function startPrivateRedis(config: Config, binary: string, logger: Logger): Promise<RedisHandle> {
  const url = new URL(config.redisUrl);
  const port = url.port || '6379';
  await fs.mkdir(config.paths.redisDir, { recursive: true });
  const child = spawnRedisServer(config, binary, url, port);
  let exited = false;
  child.once('exit', () => (exited = true));
  const pid = child.pid;
  if (pid === undefined) throw new UnavailableError(`could not run ${binary}: ${INSTALL_HINT}`);
  await fs.writeFile(pidFilePath(config), JSON.stringify({ pid, port } satisfies PidFile) + '\n');
  for (let i = 0; i < 50 && !exited; i++) {
    if (await answers(config)) {
      logger.info({ port, dir: config.paths.redisDir }, 'started a private redis-server');
      return handleFor(config, pid, () => exited);
    }
    await sleep(100);
  }
  await fs.rm(pidFilePath(config), { force: true });
  child.kill('SIGKILL');
  throw new UnavailableError(
    `could not start redis-server on port ${port} (see ${path.join(config.paths.redisDir, 'redis.log')}): ${INSTALL_HINT}`,
  );
}

export async function ensureRedis(config: Config, logger: Logger): Promise<RedisHandle> {
  const reused = await reuseLeftServer(config, logger);
  if (reused) return reused;
  const why = await failure(config);
  if (!why) return { started: false, stop: async () => {} };
  return startPrivateRedis(config, await startableBinary(config, why), logger);
}
