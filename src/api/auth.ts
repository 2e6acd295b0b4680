// Who is calling: a session cookie (dashboard login) or `Authorization: Bearer $ORDERFLOW_API_TOKEN`
// (automation). Login is rate-limited; the cookie is HttpOnly + SameSite=Strict, and a request that carries the
// cookie from another origin is refused, so a page elsewhere cannot drive the mutating endpoints.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthStore } from './deps.js';
import { ADMIN_USER } from './auth-store.js';

export const SESSION_COOKIE = 'orderflow_session';

export interface AuthOptions {
  apiToken: string | undefined;
  /** @defaultValue 12 hours */
  sessionTtlMs: number;
  /** Failed or not, login attempts per client address per window. @defaultValue 10 per minute */
  loginRateLimit: { max: number; windowMs: number };
}

export type Principal = { kind: 'session'; user: string } | { kind: 'token' };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function tokenMatches(header: string | undefined, apiToken: string | undefined): boolean {
  if (!apiToken || !header) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  return match !== null && timingSafeEqual(digest(match[1]), digest(apiToken));
}

/** The caller, or undefined when neither a valid token nor a live session is presented. */
export async function identify(
  request: FastifyRequest,
  store: AuthStore,
  options: Pick<AuthOptions, 'apiToken'>,
): Promise<Principal | undefined> {
  if (tokenMatches(request.headers.authorization, options.apiToken)) return { kind: 'token' };
  const token = request.cookies[SESSION_COOKIE];
  if (!token || token.length > 200) return undefined;
  const user = await store.sessionUser(token);
  return user === undefined ? undefined : { kind: 'session', user };
}

/** Refuses a cookie-authenticated request whose Origin is not this server (defence in depth beside SameSite). */
function crossOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/** A preHandler that answers 401 unless the caller is identified. */
export function requireAuth(store: AuthStore, options: Pick<AuthOptions, 'apiToken'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const principal = await identify(request, store, options);
    if (!principal) {
      return reply.code(401).send({
        error: 'UNAUTHORIZED',
        message: 'log in, or send Authorization: Bearer <ORDERFLOW_API_TOKEN>',
      });
    }
    if (principal.kind === 'session' && request.method !== 'GET' && crossOrigin(request)) {
      return reply.code(403).send({ error: 'FORBIDDEN', message: 'cross-origin request refused' });
    }
    request.principal = principal;
  };
}

const loginBody = {
  type: 'object',
  required: ['password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 64 },
    password: { type: 'string', minLength: 1, maxLength: 256 },
  },
} as const;

export function registerAuthRoutes(app: FastifyInstance, store: AuthStore, options: AuthOptions): void {
  app.post<{ Body: { username?: string; password: string } }>(
    '/api/login',
    {
      schema: { body: loginBody },
      config: { rateLimit: { max: options.loginRateLimit.max, timeWindow: options.loginRateLimit.windowMs } },
    },
    async (request, reply) => {
      const username = request.body.username ?? ADMIN_USER;
      if (!(await store.verifyPassword(username, request.body.password))) {
        request.log.warn({ username, ip: request.ip }, 'failed login');
        return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'wrong username or password' });
      }
      const token = await store.createSession(username, options.sessionTtlMs);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        maxAge: Math.floor(options.sessionTtlMs / 1000),
      });
      return { user: username };
    },
  );

  app.post('/api/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await store.deleteSession(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/session', async (request, reply) => {
    const principal = await identify(request, store, options);
    if (!principal) return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'not logged in' });
    return principal.kind === 'session' ? { user: principal.user } : { user: null, token: true };
  });
}
