// One error envelope for every 4xx/5xx the API answers, whoever raised it (a route, a schema, Fastify's body
// parser, the router, an auth guard):
//
//   { "error": { "code": "BAD_INPUT", "message": "params.day must be <= 6 (…)", "details": { … } } }
//
// `code` is stable (clients branch on it), `message` is for people, `details` is an object whose fields depend on
// the code (schema errors: `fields`; unknown names: `suggestions`; 405: `allow`). A wrong method on a known path
// is a 405 with an Allow header rather than a 404, so a client can tell "no such thing" from "not like that".
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { NoModelError, NotFoundError, OrderflowError, UnavailableError } from '../base/errors.js';

/** Every code the HTTP API answers with: the stage error codes plus the HTTP-level ones. */
export type ApiErrorCode =
  | OrderflowError['code']
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'METHOD_NOT_ALLOWED'
  | 'RATE_LIMITED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'BAD_REQUEST';

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details: Record<string, unknown> };
}

function errorBody(code: ApiErrorCode, message: string, details: Record<string, unknown> = {}): ApiErrorBody {
  return { error: { code, message, details } };
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: ApiErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): FastifyReply {
  return reply.code(status).send(errorBody(code, message, details));
}

/** Hints appended to schema messages for the fields users most often get wrong. */
const FIELD_HINTS: Record<string, string> = {
  day: 'an integer from 0 to 6',
  hour: 'an integer from 0 to 23',
};

function statusFor(error: unknown): number {
  if (error instanceof NotFoundError) return 404;
  if (error instanceof NoModelError || error instanceof UnavailableError) return 503;
  if (error instanceof OrderflowError)
    return error.code === 'LOCKED' ? 409 : error.code === 'INTERNAL' ? 500 : 400;
  return 500;
}

/** Fastify's own client errors (body parser, router), by their error code. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; code: ApiErrorCode }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
};

interface FieldError {
  field: string;
  message: string;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const fields: FieldError[] = errors.map((e) => {
      const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const name =
        field || (typeof e.params.missingProperty === 'string' ? e.params.missingProperty : dataVar);
      const leaf = name.split('.').at(-1) ?? name;
      const hint = FIELD_HINTS[leaf] ? ` (expected ${FIELD_HINTS[leaf]})` : '';
      return field
        ? { field: `${dataVar}.${field}`, message: `${e.message ?? 'is invalid'}${hint}` }
        : { field: dataVar, message: e.message ?? 'is invalid' };
    });
    return Object.assign(new Error(fields.map((f) => `${f.field} ${f.message}`).join('; ')), { fields });
  });

  app.setErrorHandler((error: FastifyError & { fields?: FieldError[] }, request, reply) => {
    if (error.validation) {
      return sendError(reply, 400, 'BAD_INPUT', error.message, { fields: error.fields ?? [] });
    }
    if (error.statusCode === 429) return sendError(reply, 429, 'RATE_LIMITED', error.message);
    if (error instanceof OrderflowError) {
      const details = error instanceof NotFoundError ? { suggestions: error.suggestions } : {};
      return sendError(reply, statusFor(error), error.code, error.message, details);
    }
    const known = FASTIFY_CLIENT_ERRORS[error.code];
    if (known) return sendError(reply, known.status, known.code, error.message);
    if (error instanceof SyntaxError && error.statusCode === 400) {
      return sendError(reply, 400, 'MALFORMED_JSON', `malformed JSON body: ${error.message}`);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, 'BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'INTERNAL', 'internal error; see the server log');
  });

  const allowed = methodsByPath(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allow = allowed(path);
    if (allow.length > 0 && !allow.includes(request.method)) {
      reply.header('allow', allow.join(', '));
      return sendError(reply, 405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`, {
        allow,
      });
    }
    return sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${path}`);
  });
}

/**
 * Records every route as it is added and answers which methods a concrete path has. Wildcard routes (the static
 * files) are left out: a POST to an unknown path is a 404, not a "405: only GET".
 */
function methodsByPath(app: FastifyInstance): (path: string) => string[] {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return;
    const source = route.url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const methods = [route.method].flat().map(String);
    routes.push({ pattern: new RegExp(`^${source}/?$`), methods });
  });
  return (path) => {
    const methods = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) methods.add(m);
    return [...methods].sort();
  };
}
