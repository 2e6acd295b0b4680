// One mapping from orderflow's error classes to HTTP answers, so every route reports errors the same way:
// { error: CODE, message, suggestions? } with 400 for bad input, 404 (+ closest names) for unknown names,
// 503 when a needed service or the model is missing, and a generic 500 that does not leak internals.
import type { FastifyError, FastifyInstance } from 'fastify';
import { NoModelError, NotFoundError, OrderflowError, UnavailableError } from '../errors.js';

export interface ErrorBody {
  error: string;
  message: string;
  suggestions?: string[];
}

/** Hints appended to schema messages for the fields users most often get wrong. */
const FIELD_HINTS: Record<string, string> = {
  day: 'an integer from 0 to 6',
  hour: 'an integer from 0 to 23',
};

export function statusFor(error: unknown): number {
  if (error instanceof NotFoundError) return 404;
  if (error instanceof NoModelError || error instanceof UnavailableError) return 503;
  if (error instanceof OrderflowError)
    return error.code === 'LOCKED' ? 409 : error.code === 'INTERNAL' ? 500 : 400;
  return 500;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const messages = errors.map((e) => {
      const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const name =
        field || (typeof e.params.missingProperty === 'string' ? e.params.missingProperty : dataVar);
      const leaf = name.split('.').at(-1) ?? name;
      const hint = FIELD_HINTS[leaf] ? ` (expected ${FIELD_HINTS[leaf]})` : '';
      return field
        ? `${dataVar}.${field} ${e.message ?? 'is invalid'}${hint}`
        : `${dataVar} ${e.message ?? 'is invalid'}`;
    });
    return new Error(messages.join('; '));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ error: 'BAD_INPUT', message: error.message } satisfies ErrorBody);
    }
    if (error.statusCode === 429) {
      return reply.code(429).send({ error: 'RATE_LIMITED', message: error.message } satisfies ErrorBody);
    }
    if (error instanceof OrderflowError) {
      const body: ErrorBody = { error: error.code, message: error.message };
      if (error instanceof NotFoundError) body.suggestions = error.suggestions;
      return reply.code(statusFor(error)).send(body);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own client errors: malformed JSON, wrong content type, body too large.
      return reply
        .code(error.statusCode)
        .send({ error: 'BAD_REQUEST', message: error.message } satisfies ErrorBody);
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send({ error: 'INTERNAL', message: 'internal error; see the server log' } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
