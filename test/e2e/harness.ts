// `orderflow start` as a real child process (the built CLI, bin/orderflow.js), as a user runs `npm start`:
// its own DATA_DIR, HTTP port and REDIS_URL on a free port (so it starts its private redis-server), and the
// metadata store the caller picks. Output is captured so tests can wait for lines and show it on failure.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'orderflow.js');

export { freePort } from '../helpers/redis.js';

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

/** Whether a process with this pid exists (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface StartedProcess {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the first output line matching `pattern`; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGINT, a Ctrl-C) and resolves with the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface StartOptions {
  env: Record<string, string>;
  args?: string[];
}

/** Runs `node bin/orderflow.js start …args` with `env` on top of this process's environment. */
export function spawnStart(options: StartOptions): StartedProcess {
  return spawnCli(['start', ...(options.args ?? [])], options.env);
}

/** Runs `node bin/orderflow.js …args` (e.g. `up`, `worker`) with `env` on top of this process's environment. */
export function spawnCli(args: string[], env: Record<string, string>): StartedProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      for (const l of listeners) l();
      resolve(code);
    });
  });
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;

  const waitForLine = (pattern: RegExp, timeoutMs = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = text.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return finish(() => resolve(line));
        if (!isRunning())
          return finish(() => reject(new Error(`orderflow ${args[0]} exited before ${pattern}:\n${text}`)));
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${text}`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGINT', timeoutMs = 20_000): Promise<number | null> => {
    if (isRunning()) child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };

  return { child, output: () => text, waitForLine, stop, exited };
}
