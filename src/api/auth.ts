// Who is calling, and may they: a session cookie (dashboard login), a user's API token, or the automation token
// ORDERFLOW_API_TOKEN (acts as an admin named "token"), each `Authorization: Bearer …`. Every guarded route needs a
// role (roles.ts): 401 when nobody is identified, 403 when the caller's role is too low. Login is rate-limited; the
// cookie is HttpOnly + SameSite=Strict (+ Secure behind TLS, TRUST_PROXY telling when a proxy terminated it), and
// a request that carries the cookie from another origin is refused, so a page elsewhere cannot drive mutations.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthStore } from './deps.js';
import { ADMIN_USER } from '../auth/auth-store.js';
import { sendError } from './http-errors.js';
import type { RoleGuard } from './openapi.js';
import { allows, type Identity, type Role } from '../auth/roles.js';

const SESSION_COOKIE = 'orderflow_session';
/** The name the automation token ORDERFLOW_API_TOKEN acts under (in the audit log). */
const API_TOKEN_USER = 'token';

export interface AuthOptions {
  apiToken: string | undefined;
  /** @defaultValue 12 hours */
  sessionTtlMs: number;
  /** Failed or not, login attempts per client address per window. @defaultValue 10 per minute */
  loginRateLimit: { max: number; windowMs: number };
}

export interface Principal extends Identity {
  via: 'session' | 'token';
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function bearer(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S{1,200})\s*$/i.exec(header);
  return match?.[1];
}

/** Constant-time comparison whatever the lengths (digests have one length). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && timingSafeEqual(digest(a), digest(b));
}

/** The caller, or undefined when neither a valid token nor a live session is presented. */
export async function identify(
  request: FastifyRequest,
  store: AuthStore,
  options: Pick<AuthOptions, 'apiToken'>,
): Promise<Principal | undefined> {
  if (request.principal) return request.principal;
  const token = bearer(request.headers.authorization);
  if (token !== undefined) {
    if (sameSecret(token, options.apiToken)) return { via: 'token', username: API_TOKEN_USER, role: 'admin' };
    const user = await store.tokenUser(token);
    return user && { via: 'token', ...user };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie || cookie.length > 200) return undefined;
  const user = await store.sessionUser(cookie);
  return user && { via: 'session', ...user };
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

export type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & RoleGuard;

/** A preHandler that answers 401 unless the caller is identified, 403 unless their role allows `role`. */
export function requireRole(store: AuthStore, options: Pick<AuthOptions, 'apiToken'>, role: Role): Guard {
  const guard: Guard = async (request, reply) => {
    const principal = await identify(request, store, options);
    if (!principal) {
      return void sendError(reply, 401, 'UNAUTHORIZED', 'log in, or send Authorization: Bearer <token>');
    }
    request.principal = principal;
    if (principal.via === 'session' && request.method !== 'GET' && crossOrigin(request)) {
      return void sendError(reply, 403, 'FORBIDDEN', 'cross-origin request refused');
    }
    if (!allows(principal.role, role)) {
      return void sendError(
        reply,
        403,
        'FORBIDDEN',
        `${principal.username} is a ${principal.role}; this needs the role ${role}`,
        { role: principal.role, needed: role },
      );
    }
  };
  guard.requiredRole = role;
  return guard;
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

const userAnswer = {
  type: 'object',
  properties: { user: { type: ['string', 'null'] }, role: { type: 'string' }, token: { type: 'boolean' } },
} as const;

export function registerAuthRoutes(app: FastifyInstance, store: AuthStore, options: AuthOptions): void {
  app.post<{ Body: { username?: string; password: string } }>(
    '/api/login',
    {
      schema: { summary: 'Log in: sets the session cookie', body: loginBody, response: { 200: userAnswer } },
      config: { rateLimit: { max: options.loginRateLimit.max, timeWindow: options.loginRateLimit.windowMs } },
    },
    async (request, reply) => {
      const username = request.body.username ?? ADMIN_USER;
      const user = await store.verifyPassword(username, request.body.password);
      if (!user) {
        request.log.warn({ username, ip: request.ip }, 'failed login');
        request.auditDetail = { username };
        return sendError(reply, 401, 'UNAUTHORIZED', 'wrong username or password');
      }
      request.principal = { via: 'session', ...user };
      const token = await store.createSession(user.username, options.sessionTtlMs);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        // request.protocol follows X-Forwarded-Proto only when TRUST_PROXY trusts the proxy that sent it.
        secure: request.protocol === 'https',
        maxAge: Math.floor(options.sessionTtlMs / 1000),
      });
      return { user: user.username, role: user.role };
    },
  );

  app.post(
    '/api/logout',
    { schema: { summary: 'Log out: ends the session', response: { 200: { type: 'object' } } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) {
        request.principal = await identify(request, store, options);
        await store.deleteSession(token);
      }
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  app.get(
    '/api/session',
    { schema: { summary: 'Who is logged in', response: { 200: userAnswer } } },
    async (request, reply) => {
      const principal = await identify(request, store, options);
      if (!principal) return sendError(reply, 401, 'UNAUTHORIZED', 'not logged in');
      return principal.via === 'session'
        ? { user: principal.username, role: principal.role }
        : { user: principal.username, role: principal.role, token: true };
    },
  );
}
