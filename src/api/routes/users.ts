// Users, their API tokens (admin only) and the audit log (any logged-in user may read who did what).
import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '../../auth/roles.js';
import type { RouteContext } from './context.js';

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,64}$' } },
} as const;

const userView = {
  type: 'object',
  required: ['username', 'role', 'createdAt', 'tokens'],
  properties: {
    username: { type: 'string' },
    role: { type: 'string', enum: ROLES },
    createdAt: { type: 'string' },
    tokens: { type: 'integer' },
  },
} as const;

const password = { type: 'string', minLength: 8, maxLength: 256 } as const;

const auditEntry = {
  type: 'object',
  required: ['id', 'at', 'actor', 'via', 'action', 'target', 'outcome', 'status', 'detail'],
  properties: {
    id: { type: 'integer' },
    at: { type: 'string' },
    actor: { type: ['string', 'null'] },
    via: { type: 'string', enum: ['session', 'token', 'anonymous', 'cli'] },
    action: { type: 'string' },
    target: { type: ['string', 'null'] },
    outcome: { type: 'string', enum: ['ok', 'denied', 'failed'] },
    status: { type: ['integer', 'null'] },
    detail: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

const listUsersSchema = {
  summary: 'Every user with their role',
  response: { 200: { type: 'object', properties: { users: { type: 'array', items: userView } } } },
} as const;

const addUserSchema = {
  summary: 'Add a user (or change the role and password of an existing one)',
  body: {
    type: 'object',
    required: ['username', 'role', 'password'],
    additionalProperties: false,
    properties: {
      username: nameParams.properties.name,
      role: { type: 'string', enum: ROLES },
      password,
    },
  },
  response: { 201: { type: 'object', properties: { user: userView } } },
} as const;

const removeUserSchema = {
  summary: 'Remove a user with their sessions and tokens',
  params: nameParams,
  response: { 200: { type: 'object' } },
} as const;

const setPasswordSchema = {
  summary: "Set a user's password (ends their sessions)",
  params: nameParams,
  body: {
    type: 'object',
    required: ['password'],
    additionalProperties: false,
    properties: { password },
  },
  response: { 200: { type: 'object' } },
} as const;

const createTokenSchema = {
  summary: 'A new API token acting as the user, with their role (shown once)',
  params: nameParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  response: { 201: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } },
} as const;

const auditSchema = {
  summary: 'The audit log of mutating requests and commands, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
      before: { type: 'integer', minimum: 1 },
      actor: { type: 'string', maxLength: 64 },
      action: { type: 'string', maxLength: 100 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['entries'],
      properties: { entries: { type: 'array', items: auditEntry } },
    },
  },
} as const;

/** List, add and remove users, and set a password (admin only). */
function accountRoutes(app: FastifyInstance, { deps, admin }: RouteContext): void {
  app.get('/api/users', { onRequest: admin, schema: listUsersSchema }, async () => ({
    users: await deps.users.list(),
  }));

  app.post<{ Body: { username: string; role: Role; password: string } }>(
    '/api/users',
    { onRequest: admin, config: { audit: 'users.add' }, schema: addUserSchema },
    async (request, reply) => {
      const { username, role } = request.body;
      request.auditDetail = { username, role };
      return reply.code(201).send({ user: await deps.users.add(username, role, request.body.password) });
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/users/:name',
    { onRequest: admin, schema: removeUserSchema },
    async (request) => {
      await deps.users.remove(request.params.name);
      return { ok: true };
    },
  );

  app.post<{ Params: { name: string }; Body: { password: string } }>(
    '/api/users/:name/password',
    { onRequest: admin, schema: setPasswordSchema },
    async (request) => {
      await deps.users.setPassword(request.params.name, request.body.password);
      return { ok: true };
    },
  );
}

export function userRoutes(app: FastifyInstance, context: RouteContext): void {
  const { deps, admin, authenticated } = context;
  accountRoutes(app, context);

  app.post<{ Params: { name: string }; Body: { name?: string } }>(
    '/api/users/:name/tokens',
    { onRequest: admin, schema: createTokenSchema },
    async (request, reply) => {
      const name = request.body?.name ?? 'api';
      return reply.code(201).send({ token: await deps.users.createToken(request.params.name, name) });
    },
  );

  app.get<{ Querystring: { limit: number; before?: number; actor?: string; action?: string } }>(
    '/api/audit',
    { onRequest: authenticated, schema: auditSchema },
    async (request) => ({ entries: await deps.audit.list(request.query) }),
  );
}
