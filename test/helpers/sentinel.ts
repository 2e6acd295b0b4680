// A private Sentinel deployment per test: a primary and one replica (redis-server) and three redis-sentinel
// processes on free 127.0.0.1 ports, quorum 2, short down-after/failover timeouts so a failover takes seconds.
// The sentinels start knowing each other and the replica (known-sentinel / known-replica lines, as a sentinel
// writes them itself), so the deployment is ready as soon as CKQUORUM says so, without waiting for hellos.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, ping, startRedis, waitExit, type RedisServer } from './redis.js';

const SENTINEL_BIN = '/usr/bin/redis-sentinel';

export interface SentinelOptions {
  /** @defaultValue 'orderflow-test' */
  name?: string;
  /** requirepass of the primary and replica (the sentinels are told it with auth-pass). */
  password?: string;
  /** requirepass of the sentinels themselves (and sentinel-pass, so they still talk to each other). */
  sentinelPassword?: string;
  /** @defaultValue 1000 */
  downAfterMs?: number;
  /** @defaultValue 3000 */
  failoverTimeoutMs?: number;
}

export interface SentinelDeployment {
  name: string;
  primary: RedisServer;
  replica: RedisServer;
  sentinelPorts: number[];
  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME for loadConfig. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /**
   * Subscribes to a sentinel's `+switch-master` (resolves once subscribed); `next()` resolves at the next switch
   * with the new primary's port, then unsubscribes.
   */
  listenForSwitch(): Promise<{
    next(timeoutMs?: number): Promise<{ fromPort: number; toPort: number }>;
    close(): void;
  }>;
  /** Stops the sentinels, then the data nodes. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function sentinelConfig(o: {
  port: number;
  dir: string;
  name: string;
  primaryPort: number;
  replicaPort: number;
  ids: string[];
  ports: number[];
  self: number;
  options: SentinelOptions;
}): string {
  const { name } = o;
  const lines = [
    `port ${o.port}`,
    'bind 127.0.0.1',
    'daemonize no',
    `dir ${o.dir}`,
    `sentinel myid ${o.ids[o.self]}`,
    `sentinel monitor ${name} 127.0.0.1 ${o.primaryPort} 2`,
    `sentinel down-after-milliseconds ${name} ${o.options.downAfterMs ?? 1000}`,
    `sentinel failover-timeout ${name} ${o.options.failoverTimeoutMs ?? 3000}`,
    `sentinel parallel-syncs ${name} 1`,
    `sentinel known-replica ${name} 127.0.0.1 ${o.replicaPort}`,
  ];
  if (o.options.password) lines.push(`sentinel auth-pass ${name} ${o.options.password}`);
  if (o.options.sentinelPassword)
    lines.push(
      `requirepass ${o.options.sentinelPassword}`,
      `sentinel sentinel-pass ${o.options.sentinelPassword}`,
    );
  o.ports.forEach((p, i) => {
    if (i !== o.self) lines.push(`sentinel known-sentinel ${name} 127.0.0.1 ${p} ${o.ids[i]}`);
  });
  return lines.join('\n') + '\n';
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startSentinels(options: SentinelOptions = {}): Promise<SentinelDeployment> {
  const name = options.name ?? 'orderflow-test';
  const args = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
  // A full sync starts at once instead of waiting 5 s for more replicas (either node may be the primary).
  args.push('--repl-diskless-sync-delay', '0');
  const primary = await startRedis({ args });
  const replica = await startRedis({ args: [...args, '--replicaof', '127.0.0.1', String(primary.port)] });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-sentinel-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const ids = ports.map(() => randomBytes(20).toString('hex'));
  const sentinels: ChildProcess[] = [];
  for (const [self, port] of ports.entries()) {
    const file = path.join(dir, `sentinel-${port}.conf`);
    const config = {
      port,
      dir,
      name,
      primaryPort: primary.port,
      replicaPort: replica.port,
      ids,
      ports,
      self,
    };
    writeFileSync(file, sentinelConfig({ ...config, options }));
    const child = spawn(SENTINEL_BIN, [file], { stdio: 'ignore' });
    children.add(child);
    child.once('exit', () => children.delete(child));
    sentinels.push(child);
  }
  const client = (port: number): Redis => {
    const r = new Redis({
      port,
      host: '127.0.0.1',
      password: options.sentinelPassword,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    r.on('error', () => {}); // a sentinel still starting: the checks below try again
    return r;
  };
  for (const port of ports) await until(`sentinel ${port} to answer`, () => ping(port));
  const first = client(ports[0]);
  const replicaClient = new Redis({ port: replica.port, password: options.password, lazyConnect: true });
  replicaClient.on('error', () => {}); // as above
  try {
    await until('the replica to be in sync', async () =>
      /master_link_status:up/.test(await replicaClient.info('replication').catch(() => '')),
    );
    await until('the sentinels to reach quorum', async () => {
      const ok = await first.call('SENTINEL', 'CKQUORUM', name).catch(() => '');
      const replicas = (await first.call('SENTINEL', 'REPLICAS', name).catch(() => [])) as string[][];
      return String(ok).startsWith('OK 3') && replicas.some((r) => !r.join(' ').includes('s_down'));
    });
  } finally {
    first.disconnect();
    replicaClient.disconnect();
  }

  return {
    name,
    primary,
    replica,
    sentinelPorts: ports,
    env: { REDIS_SENTINELS: ports.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_NAME: name },
    listenForSwitch: async () => {
      const subscriber = client(ports[0]);
      const switched = new Promise<{ fromPort: number; toPort: number }>((resolve) => {
        subscriber.on('message', (_channel: string, message: string) => {
          const [who, , fromPort, , toPort] = message.split(' ');
          if (who === name) resolve({ fromPort: Number(fromPort), toPort: Number(toPort) });
        });
      });
      await subscriber.subscribe('+switch-master');
      return {
        next: async (timeoutMs = 20_000) => {
          let timer: NodeJS.Timeout | undefined;
          try {
            return await Promise.race([
              switched,
              new Promise<never>((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`no +switch-master within ${timeoutMs} ms`)),
                  timeoutMs,
                );
              }),
            ]);
          } finally {
            clearTimeout(timer);
            subscriber.disconnect();
          }
        },
        close: () => subscriber.disconnect(),
      };
    },
    stop: async () => {
      for (const child of sentinels) child.kill('SIGTERM');
      await Promise.all(sentinels.map(waitExit));
      await replica.stop();
      await primary.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
