// The few error classes orderflow throws on purpose. Callers branch on `instanceof` or `code`, never on text.
// The CLI maps them to exit codes: UsageError/InputError → 2, everything else → 1.

export type ErrorCode =
  'USAGE' | 'BAD_INPUT' | 'CONFIG' | 'NOT_FOUND' | 'LOCKED' | 'NO_MODEL' | 'UNAVAILABLE' | 'INTERNAL';

export class OrderflowError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad command-line usage (unknown day, malformed flag value). Exit code 2. */
export class UsageError extends OrderflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
}

/** Input data that cannot be used: missing column, empty file, bad rows under --strict. Exit code 2. */
export class InputError extends OrderflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_INPUT', message, options);
  }
}

/** An environment variable or setting with a value that is not allowed. Exit code 2. */
export class ConfigError extends OrderflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG', message, options);
  }
}

/** Something looked up by name that does not exist (a category, a DAG, a model version). Exit code 2. */
export class NotFoundError extends OrderflowError {
  constructor(
    message: string,
    readonly suggestions: string[] = [],
    options?: { cause?: unknown },
  ) {
    super('NOT_FOUND', message, options);
  }
}

/** Another process holds the lock for this work. Exit code 1. */
export class LockedError extends OrderflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCKED', message, options);
  }
}

/** This run's lease was taken over (or could not be renewed): it must not commit. Exit code 1. */
export class LeaseLostError extends OrderflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCKED', message, options);
  }
}

/** No trained model exists yet. Exit code 1. */
export class NoModelError extends OrderflowError {
  constructor(message = 'No model has been trained yet: run `orderflow train` first.') {
    super('NO_MODEL', message);
  }
}

/** A service orderflow needs (Redis, PostgreSQL) cannot be reached. Exit code 1. */
export class UnavailableError extends OrderflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** Turns anything thrown into an Error, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value), { cause: value });
}

/** The process exit code for an error: 2 for bad usage or input, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof InputError || error instanceof ConfigError) return 2;
  if (error instanceof NotFoundError) return 2;
  return 1;
}
