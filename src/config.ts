// The one typed configuration of orderflow: defaults < environment < flags, validated once at start-up.
// Nothing else in the code reads process.env; commands receive this value.
import path from 'node:path';
import { z } from 'zod/v3';
import { ConfigError } from './errors.js';
import { redactText } from './ops/redact.js';

const portSchema = z.coerce.number().int().min(0).max(65535);
const boolSchema = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every environment variable orderflow reads, with its schema, default and meaning (the README table). */
export const ENV_VARIABLES = {
  DATA_DIR: {
    schema: z.string().min(1),
    default: './data',
    doc: 'Root folder of all data, models and the embedded metadata store.',
  },
  REDIS_URL: {
    schema: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
    default: 'redis://127.0.0.1:6379',
    doc: 'Redis for tracking keys, the prediction cache and the job queues.',
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
} as const;

type EnvName = keyof typeof ENV_VARIABLES;

export interface Config {
  dataDir: string;
  redisUrl: string;
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
  paths: DataPaths;
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

export type ConfigOverrides = Partial<Record<EnvName, string | undefined>>;

/**
 * Builds the config from an environment (normally process.env) and flag overrides (which win).
 * A bad value throws ConfigError with one line naming the variable and what is allowed.
 */
export function loadConfig(env: Record<string, string | undefined>, overrides: ConfigOverrides = {}): Config {
  const raw = (name: EnvName): string | undefined => {
    const value = overrides[name] ?? env[name];
    return value === '' && name !== 'REDIS_KEY_PREFIX' ? undefined : value;
  };
  const read = <N extends EnvName>(name: N): z.output<(typeof ENV_VARIABLES)[N]['schema']> => {
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
  const interactive = Boolean(process.stderr.isTTY);
  const dataDir = read('DATA_DIR') as string;
  return {
    dataDir: path.resolve(dataDir),
    redisUrl: read('REDIS_URL') as string,
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
    paths: dataPaths(dataDir),
  };
}
