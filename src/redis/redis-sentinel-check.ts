// Why no primary could be reached through the sentinels, in words that name the setting to fix: ioredis only
// says "All sentinels are unreachable" whether none answered, none knows REDIS_SENTINEL_NAME, or the primary
// they name is down. Asks each sentinel directly, one short-lived connection each, and never throws.
import { Redis } from 'ioredis';
import { toError } from '../base/errors.js';
import { redisOptionsOf, sentinelAddress, type RedisConfig } from './redis-options.js';

interface SentinelAnswer {
  address: string;
  /** The primary it names for REDIS_SENTINEL_NAME, null when it does not know the name. */
  primary?: { host: string; port: number } | null;
  /** Names it monitors (when it does not know ours). */
  monitored?: string[];
  error?: string;
}

async function askSentinel(config: RedisConfig, host: string, port: number, timeoutMs: number) {
  const address = sentinelAddress({ host, port });
  const client = new Redis({
    host,
    port,
    password: config.redisSentinelPassword,
    tls: config.redisSentinelTls ? {} : undefined,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
  });
  let firstError: Error | undefined;
  client.on('error', (err: Error) => (firstError ??= err)); // the failure is the answer, reported below
  try {
    await client.connect();
    const reply = (await client.call(
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      config.redisSentinelName ?? '',
    )) as string[] | null;
    if (Array.isArray(reply)) return { address, primary: { host: reply[0], port: Number(reply[1]) } };
    const masters = (await client.call('SENTINEL', 'MASTERS')) as string[][];
    const monitored = masters.map((fields) => fields[fields.indexOf('name') + 1]).filter(Boolean);
    return { address, primary: null, monitored };
  } catch (err) {
    return { address, error: (firstError ?? toError(err)).message };
  } finally {
    client.disconnect();
  }
}

async function primaryAnswers(config: RedisConfig, host: string, port: number, timeoutMs: number) {
  const { username, password, tls } = redisOptionsOf({ redisUrl: config.redisUrl });
  const client = new Redis({
    host,
    port,
    username,
    password,
    tls,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {}); // reported by the caller
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (err) {
    return toError(err).message;
  } finally {
    client.disconnect();
  }
}

/** One sentence saying what is wrong with the Sentinel settings or the primary they name. */
export async function diagnoseSentinels(config: RedisConfig, timeoutMs = 1000): Promise<string> {
  const sentinels = config.redisSentinels ?? [];
  const answers: SentinelAnswer[] = await Promise.all(
    sentinels.map((s) => askSentinel(config, s.host, s.port, timeoutMs)),
  );
  const list = sentinels.map(sentinelAddress).join(',');
  const knowing = answers.filter((a) => a.primary);
  if (knowing.length === 0) {
    const reachable = answers.filter((a) => !a.error);
    if (reachable.length === 0) {
      const errors = answers.map((a) => `${a.address}: ${a.error}`).join('; ');
      const auth = answers.some((a) => /NOAUTH|WRONGPASS|invalid password/i.test(a.error ?? ''));
      return (
        `no sentinel of REDIS_SENTINELS=${list} answered (${errors})` +
        (auth ? '; check REDIS_SENTINEL_PASSWORD' : '')
      );
    }
    const names = [...new Set(reachable.flatMap((a) => a.monitored ?? []))];
    return (
      `no sentinel of REDIS_SENTINELS=${list} knows a primary named REDIS_SENTINEL_NAME=${config.redisSentinelName}` +
      ` (they monitor: ${names.length ? names.join(', ') : 'nothing'})`
    );
  }
  const { host, port } = knowing[0].primary!;
  const error = await primaryAnswers(config, host, port, timeoutMs);
  const where = `the sentinels name ${sentinelAddress({ host, port })} as the primary of REDIS_SENTINEL_NAME=${config.redisSentinelName}`;
  return error ? `${where}, which does not answer (${error})` : `${where}, which answers now: try again`;
}
