// A private redis-server per test: free port on 127.0.0.1, its own temp dir, never the shared 6379.
// stop()/kill() keep the dir so restart() finds the AOF again; dirs are removed when the test process exits,
// and any server a test forgot to stop is killed then too.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SIGTERM, SIGKILL after 5 s) and waits until its process has exited. */
  stop(): Promise<void>;
  /** Stops (if running), then starts again on the same port and dir, keeping AOF data. */
  restart(): Promise<void>;
  /** SIGKILL, as in a crash; waits until the process has exited. */
  kill(): Promise<void>;
  /** The pid of the running server, or undefined when stopped. */
  readonly pid: number | undefined;
}

export interface StartRedisOptions {
  /** Append-only file with `appendfsync always`, so restart() keeps every acknowledged write. @defaultValue false */
  aof?: boolean;
  /** More redis-server arguments (e.g. `--replicaof`, `--requirepass`). */
  args?: string[];
}

const REDIS_BIN = '/usr/bin/redis-server';
const running = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A port nothing listens on right now (callers use it at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING over a raw socket; true when the server answers (+PONG, or -NOAUTH). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    // A server with a password answers -NOAUTH: it is up all the same.
    socket.on('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

export function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function spawnRedis(
  port: number,
  dir: string,
  aof: boolean,
  extra: string[],
): { child: ChildProcess; output: () => string } {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--daemonize',
    'no',
  ];
  args.push('--appendonly', aof ? 'yes' : 'no');
  if (aof) args.push('--appendfsync', 'always');
  args.push(...extra);
  const child = spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return { child, output: () => output };
}

async function launch(port: number, dir: string, aof: boolean, extra: string[] = []): Promise<ChildProcess> {
  const { child, output } = spawnRedis(port, dir, aof, extra);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited during start-up:\n${output()}`);
    }
    if (await ping(port)) return child;
    await sleep(25);
  }
  child.kill('SIGKILL');
  await waitExit(child);
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${output()}`);
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  installExitHook();
  const aof = options.aof ?? false;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-redis-'));
  dirs.add(dir);
  let child: ChildProcess | undefined;
  let port = 0;
  // Another process may grab the free port between probing and binding: try a few ports.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, aof, options.args);
      break;
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current) return;
    current.kill(signal);
    const killer = setTimeout(() => current.kill('SIGKILL'), 5_000);
    await waitExit(current);
    clearTimeout(killer);
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    stop: () => stop('SIGTERM'),
    kill: () => stop('SIGKILL'),
    restart: async () => {
      await stop('SIGTERM');
      child = await launch(port, dir, aof, options.args);
    },
  };
}
