// Records every mutating API request in the audit log once it has been answered, refused ones included (a
// viewer's 403, a failed login), so the log says who tried what as well as who did it. A route names its action
// with `config.audit` (or `false` for a POST that changes nothing, such as a prediction batch); otherwise it is
// derived from the path: POST /api/dags/:id/trigger → `dags.trigger` on target <id>.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { outcomeOf, type AuditLog } from '../auth/audit.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The audit action of this route, or false for a POST that changes nothing. */
    audit?: string | false;
  }
  interface FastifyRequest {
    /** Extra facts for the audit entry (e.g. the user name a failed login tried). */
    auditDetail?: Record<string, unknown>;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

function actionOf(method: string, url: string): string {
  const parts = url
    .replace(/^\/api\//, '')
    .split('/')
    .filter((p) => p !== '' && !p.startsWith(':'));
  return parts.join('.') + (method === 'DELETE' ? '.remove' : '');
}

function targetOf(request: FastifyRequest): string | null {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const values = Object.values(params).filter((v): v is string => typeof v === 'string');
  return values.length > 0 ? values.join('/') : null;
}

export function installAuditHook(app: FastifyInstance, log: AuditLog): void {
  app.addHook('onResponse', async (request, reply) => {
    const url = request.routeOptions.url;
    if (READS.has(request.method) || !url?.startsWith('/api/')) return;
    const configured = request.routeOptions.config.audit;
    if (configured === false) return;
    const principal = request.principal;
    try {
      await log.record({
        actor: principal?.username ?? null,
        via: principal?.via ?? 'anonymous',
        action: configured ?? actionOf(request.method, url),
        target: targetOf(request),
        outcome: outcomeOf(reply.statusCode),
        status: reply.statusCode,
        detail: request.auditDetail ?? null,
      });
    } catch (err) {
      // The answer has gone out already; a lost audit entry is logged loudly rather than failing silently.
      request.log.error({ err, url, method: request.method }, 'could not write the audit entry');
    }
  });
}
