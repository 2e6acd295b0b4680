// The one typed configuration of orderflow: defaults < environment < flags, validated once at start-up.
// Nothing else in the code reads process.env; commands receive this value.
import path from 'node:path';
import { z } from 'zod/v3';
import { parseDuration } from './durations.js';
import { ConfigError } from './errors.js';
import { redactText } from './redact.js';

const portSchema = z.coerce.number().int().min(0).max(65535);
const boolSchema = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A duration with its unit: `500ms`, `10s`, `2m`; parsed to milliseconds (durations.ts). */
const durationSchema = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a duration with a unit: 500ms, 10s or 2m' });
    return z.NEVER;
  }
  return ms;
});

function validRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.hostname !== '' && /^(\/\d*)?$/.test(url.pathname) && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

/** `host:port,host:port,…` (IPv6 hosts in brackets) → a list of addresses, each port 1–65535. */
const sentinelListSchema = z.string().transform((value, ctx): RedisAddress[] => {
  const out: RedisAddress[] = [];
  for (const item of value.split(',').map((s) => s.trim())) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/@[\]]+):(\d{1,5})$/.exec(item);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${item}" is not host:port (a comma-separated list)`,
      });
      return z.NEVER;
    }
    out.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return out;
});

/** Every environment variable orderflow reads, with its schema, default and meaning (the README table). */
const ENV_VARIABLES = {
  DATA_DIR: {
    schema: z.string().min(1),
    default: './data',
    doc: 'Root folder of all data, models and the embedded metadata store.',
  },
  REDIS_URL: {
    schema: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .refine(validRedisUrl, 'redis[s]://[user:password@]host[:port][/database number]'),
    default: 'redis://127.0.0.1:6379',
    doc: 'Redis for tracking keys, the prediction cache and the job queues.',
  },
  REDIS_SENTINELS: {
    schema: sentinelListSchema.optional(),
    default: undefined,
    doc: 'Sentinels (host:port,host:port,…) that name the Redis primary; REDIS_URL then only gives the password, database and TLS.',
  },
  REDIS_SENTINEL_NAME: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'Name of the primary the sentinels monitor (required with REDIS_SENTINELS).',
  },
  REDIS_SENTINEL_PASSWORD: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "Password of the sentinels themselves (their requirepass), if any; the data nodes' password goes in REDIS_URL.",
  },
  REDIS_SENTINEL_TLS: {
    schema: boolSchema,
    default: 'false',
    doc: 'Talk to the sentinels over TLS.',
  },
  REDIS_KEY_PREFIX: {
    schema: z.string(),
    default: '',
    doc: 'Prefix for every Redis key orderflow writes (processed_days, cache keys, queues).',
  },
  DATABASE_URL: {
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
      .optional(),
    default: undefined,
    doc: 'PostgreSQL for metadata; unset → embedded PGlite under DATA_DIR/meta.',
  },
  PORT: { schema: portSchema, default: '8080', doc: 'HTTP port of the API and dashboard.' },
  HOST: { schema: z.string().min(1), default: '127.0.0.1', doc: 'HTTP listen address.' },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    default: undefined,
    doc: 'pino log level; default info on a TTY, warn otherwise.',
  },
  LOG_FORMAT: {
    schema: z.enum(['pretty', 'json']).optional(),
    default: undefined,
    doc: 'Log lines as readable text (pretty) or JSON; default pretty on a TTY, json otherwise.',
  },
  ORDERFLOW_ADMIN_PASSWORD: {
    schema: z.string().min(8, 'at least 8 characters').optional(),
    default: undefined,
    doc: 'Dashboard admin password; unset → generated on first start and printed once.',
  },
  ORDERFLOW_API_TOKEN: {
    schema: z.string().min(16, 'at least 16 characters').optional(),
    default: undefined,
    doc: 'Bearer token accepted by mutating API endpoints (automation).',
  },
  ORDERFLOW_PUBLIC_PREDICTIONS: {
    schema: boolSchema,
    default: 'true',
    doc: 'Whether prediction reads need no login or token.',
  },
  ORDERFLOW_RUN_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(1),
    default: '14',
    doc: 'Days of DAG run history and task logs kept.',
  },
  ORDERFLOW_META_PORT: {
    schema: portSchema,
    default: '0',
    doc: 'Port on which the process owning the embedded store serves it to other processes (0 = any free port).',
  },
  ORDERFLOW_LOCAL_CACHE_MS: {
    schema: z.coerce.number().int().min(0).max(3_600_000),
    default: '5000',
    doc: 'How long the API keeps a prediction read from the Redis cache in memory (0 = off); refresh and clear drop it at once.',
  },
  ORDERFLOW_MIN_FILE_AGE: {
    schema: durationSchema,
    default: '10s',
    doc: 'An incoming file that does not end with a newline is read only once it has been unchanged this long (it may still be being written); a _SUCCESS marker in its batch folder makes it ready at once.',
  },
  ORDERFLOW_MAX_LINE_BYTES: {
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1 << 30),
    default: String(1 << 20),
    doc: 'A line longer than this many bytes is quarantined as too long (memory stays bounded).',
  },
  ORDERFLOW_RANGE_BYTES: {
    schema: z.coerce
      .number()
      .int()
      .min(4096)
      .max(2 ** 40),
    default: String(64 << 20),
    doc: 'A landed file larger than this is read as several parts (byte ranges cut at line ends), each a child job any worker may run.',
  },
  ORDERFLOW_SCAN_THREADS: {
    schema: z.coerce.number().int().min(1).max(256).optional(),
    default: undefined,
    doc: "Threads one part's scan may use (default: the machine's cores); 1 when each worker process should use one core.",
  },
  ORDERFLOW_INSTACART_CATEGORY: {
    schema: z.enum(['aisle', 'department']),
    default: 'aisle',
    doc: "What a category is for relational (Instacart) batches in the landing area: the product's aisle or its department.",
  },
  ORDERFLOW_ALLOW_DUPLICATE_FILES: {
    schema: boolSchema,
    default: 'false',
    doc: 'Count a file whose content is already committed under another path (for feeds that legitimately repeat files); by default it is reported as a duplicate and not counted.',
  },
  ORDERFLOW_LANDING: {
    schema: z
      .string()
      .min(1)
      .refine(
        (v) => !v.startsWith('s3:') || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v),
        'a directory or s3://bucket/prefix',
      )
      .optional(),
    default: undefined,
    doc: 'Where incoming order files land: a directory (default DATA_DIR/incremental/raw; may be a shared file system) or s3://bucket/prefix.',
  },
  ORDERFLOW_S3_ENDPOINT: {
    schema: z.string().url().optional(),
    default: undefined,
    doc: 'Endpoint of an S3-compatible server (MinIO, …) for an s3:// landing area; unset → AWS.',
  },
  AWS_REGION: { schema: z.string().min(1), default: 'us-east-1', doc: 'Region of the landing bucket.' },
  AWS_ACCESS_KEY_ID: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: "Credentials of the landing bucket (with AWS_SECRET_ACCESS_KEY); unset → the AWS SDK's default chain.",
  },
  AWS_SECRET_ACCESS_KEY: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'Secret of AWS_ACCESS_KEY_ID.',
  },
  ORDERFLOW_INCREMENTAL_LEASE: {
    schema: durationSchema,
    default: '60s',
    doc: 'Lease of an incremental run, renewed every third of it; a run that cannot renew it commits nothing.',
  },
  ORDERFLOW_METRICS_TOKEN: {
    schema: z.string().min(16, 'at least 16 characters').optional(),
    default: undefined,
    doc: 'When set, GET /metrics needs `Authorization: Bearer <this token>` (or a login).',
  },
  TRUST_PROXY: {
    schema: z
      .string()
      .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/, ]+)$/, 'true, false, a hop count or proxy addresses/CIDRs')
      .transform((v): boolean | number | string =>
        v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
      ),
    default: 'false',
    doc: 'Which proxies to believe for X-Forwarded-Proto/-For (true, a hop count, or addresses); makes the session cookie Secure behind a TLS proxy.',
  },
} as const;

type EnvName = keyof typeof ENV_VARIABLES;

export interface RedisAddress {
  host: string;
  port: number;
}

export interface Config {
  dataDir: string;
  redisUrl: string;
  /** REDIS_SENTINELS; empty = connect to REDIS_URL's host directly. */
  redisSentinels: RedisAddress[];
  /** REDIS_SENTINEL_NAME; set whenever redisSentinels is not empty. */
  redisSentinelName: string | undefined;
  redisSentinelPassword: string | undefined;
  redisSentinelTls: boolean;
  redisKeyPrefix: string;
  databaseUrl: string | undefined;
  port: number;
  host: string;
  logLevel: string;
  logFormat: 'pretty' | 'json';
  adminPassword: string | undefined;
  apiToken: string | undefined;
  publicPredictions: boolean;
  runRetentionDays: number;
  metaPort: number;
  /** ORDERFLOW_LOCAL_CACHE_MS: lifetime of the API's in-memory tier in front of the Redis cache; 0 = off. */
  localCacheMs: number;
  ingest: IngestConfig;
  /** ORDERFLOW_METRICS_TOKEN: bearer token /metrics requires; undefined = /metrics is open. */
  metricsToken: string | undefined;
  /** TRUST_PROXY, as Fastify's trustProxy option. */
  trustProxy: boolean | number | string;
  paths: DataPaths;
}

/** How the incremental stage decides what to read and count. */
export interface IngestConfig {
  /** ORDERFLOW_MIN_FILE_AGE in ms. */
  minFileAgeMs: number;
  /** ORDERFLOW_MAX_LINE_BYTES. */
  maxLineBytes: number;
  /** ORDERFLOW_ALLOW_DUPLICATE_FILES. */
  allowDuplicateFiles: boolean;
  /** ORDERFLOW_INCREMENTAL_LEASE in ms. */
  leaseMs: number;
  /** ORDERFLOW_RANGE_BYTES: files above this are read as several parts. */
  rangeBytes: number;
  /** ORDERFLOW_SCAN_THREADS: threads per part's scan; undefined = the machine's cores. */
  scanThreads: number | undefined;
  /** ORDERFLOW_INSTACART_CATEGORY: aisle or department, for relational batches. */
  instacartCategory: 'aisle' | 'department';
  /** ORDERFLOW_LANDING: a directory (absolute) or s3://bucket/prefix. */
  landing: string;
  s3: { endpoint: string | undefined; region: string; accessKeyId?: string; secretAccessKey?: string };
}

/** Every folder and file orderflow reads or writes, derived from DATA_DIR. */
export interface DataPaths {
  ordersCsv: string;
  rawDir: string;
  processedDir: string;
  processedCsv: string;
  processedParquet: string;
  incrementalRawDir: string;
  incrementalProcessedDir: string;
  incrementalCsv: string;
  incrementalParquet: string;
  quarantineDir: string;
  modelsDir: string;
  metaDir: string;
  redisDir: string;
}

export function dataPaths(dataDir: string): DataPaths {
  const d = path.resolve(dataDir);
  return {
    ordersCsv: path.join(d, 'orders.csv'),
    rawDir: path.join(d, 'raw'),
    processedDir: path.join(d, 'processed'),
    processedCsv: path.join(d, 'processed', 'orders.csv'),
    processedParquet: path.join(d, 'processed', 'orders_parquet'),
    incrementalRawDir: path.join(d, 'incremental', 'raw'),
    incrementalProcessedDir: path.join(d, 'incremental', 'processed'),
    incrementalCsv: path.join(d, 'incremental', 'processed', 'orders.csv'),
    incrementalParquet: path.join(d, 'incremental', 'processed', 'orders_parquet'),
    quarantineDir: path.join(d, 'quarantine'),
    modelsDir: path.join(d, 'models'),
    metaDir: path.join(d, 'meta'),
    redisDir: path.join(d, 'redis'),
  };
}

/** The landing area: s3://… as given, a directory made absolute, by default DATA_DIR/incremental/raw. */
function landingOf(value: string | undefined, dataDir: string): string {
  if (value?.startsWith('s3://')) return value;
  return value ? path.resolve(value) : dataPaths(dataDir).incrementalRawDir;
}

export type ConfigOverrides = Partial<Record<EnvName, string | undefined>>;

type Read = <N extends EnvName>(name: N) => z.output<(typeof ENV_VARIABLES)[N]['schema']>;

/** Reads one variable: the override, else the environment, else its default; parsed, or a ConfigError. */
function reader(env: Record<string, string | undefined>, overrides: ConfigOverrides): Read {
  const raw = (name: EnvName): string | undefined => {
    const value = overrides[name] ?? env[name];
    return value === '' && name !== 'REDIS_KEY_PREFIX' ? undefined : value;
  };
  return <N extends EnvName>(name: N): z.output<(typeof ENV_VARIABLES)[N]['schema']> => {
    const spec = ENV_VARIABLES[name];
    const value = raw(name) ?? spec.default;
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      // A URL's password is never echoed, even in a rejected value.
      const shown = typeof value === 'string' ? redactText(value) : value;
      throw new ConfigError(`${name}=${JSON.stringify(shown)} is not allowed: ${why}`);
    }
    return parsed.data as z.output<(typeof ENV_VARIABLES)[N]['schema']>;
  };
}

function ingestConfig(read: Read, landing: string): Config['ingest'] {
  return {
    minFileAgeMs: read('ORDERFLOW_MIN_FILE_AGE') as number,
    maxLineBytes: read('ORDERFLOW_MAX_LINE_BYTES') as number,
    allowDuplicateFiles: read('ORDERFLOW_ALLOW_DUPLICATE_FILES') as boolean,
    leaseMs: read('ORDERFLOW_INCREMENTAL_LEASE') as number,
    rangeBytes: read('ORDERFLOW_RANGE_BYTES') as number,
    scanThreads: read('ORDERFLOW_SCAN_THREADS') as number | undefined,
    instacartCategory: read('ORDERFLOW_INSTACART_CATEGORY') as 'aisle' | 'department',
    landing,
    s3: {
      endpoint: read('ORDERFLOW_S3_ENDPOINT') as string | undefined,
      region: read('AWS_REGION') as string,
      accessKeyId: read('AWS_ACCESS_KEY_ID') as string | undefined,
      secretAccessKey: read('AWS_SECRET_ACCESS_KEY') as string | undefined,
    },
  };
}

/**
 * Builds the config from an environment (normally process.env) and flag overrides (which win).
 * A bad value throws ConfigError with one line naming the variable and what is allowed.
 */
export function loadConfig(env: Record<string, string | undefined>, overrides: ConfigOverrides = {}): Config {
  const read = reader(env, overrides);
  const interactive = Boolean(process.stderr.isTTY);
  const dataDir = read('DATA_DIR') as string;
  const landing = landingOf(read('ORDERFLOW_LANDING') as string | undefined, dataDir);
  const paths = dataPaths(dataDir);
  // A directory landing area is where every local writer and reader of arrivals looks.
  if (!landing.startsWith('s3://')) paths.incrementalRawDir = landing;

  const redisSentinels = (read('REDIS_SENTINELS') as RedisAddress[] | undefined) ?? [];
  const redisSentinelName = read('REDIS_SENTINEL_NAME') as string | undefined;
  if (redisSentinels.length > 0 && !redisSentinelName)
    throw new ConfigError(
      'REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name of the primary they monitor',
    );
  return {
    dataDir: path.resolve(dataDir),
    redisUrl: read('REDIS_URL') as string,
    redisSentinels,
    redisSentinelName,
    redisSentinelPassword: read('REDIS_SENTINEL_PASSWORD') as string | undefined,
    redisSentinelTls: read('REDIS_SENTINEL_TLS') as boolean,
    redisKeyPrefix: read('REDIS_KEY_PREFIX') as string,
    databaseUrl: read('DATABASE_URL') as string | undefined,
    port: read('PORT') as number,
    host: read('HOST') as string,
    logLevel: (read('LOG_LEVEL') as string | undefined) ?? (interactive ? 'info' : 'warn'),
    logFormat: (read('LOG_FORMAT') as 'pretty' | 'json' | undefined) ?? (interactive ? 'pretty' : 'json'),
    adminPassword: read('ORDERFLOW_ADMIN_PASSWORD') as string | undefined,
    apiToken: read('ORDERFLOW_API_TOKEN') as string | undefined,
    publicPredictions: read('ORDERFLOW_PUBLIC_PREDICTIONS') as boolean,
    runRetentionDays: read('ORDERFLOW_RUN_RETENTION_DAYS') as number,
    metaPort: read('ORDERFLOW_META_PORT') as number,
    localCacheMs: read('ORDERFLOW_LOCAL_CACHE_MS') as number,
    ingest: ingestConfig(read, landing),
    paths,
    metricsToken: read('ORDERFLOW_METRICS_TOKEN') as string | undefined,
    trustProxy: read('TRUST_PROXY') as boolean | number | string,
  };
}
