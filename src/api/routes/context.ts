// What every route module receives from createApp: the stage services, the metrics and the auth guards.
import type { FastifyRequest } from 'fastify';
import type { Guard, Principal } from '../auth.js';
import type { AppDeps } from '../deps.js';
import type { ApiMetrics } from '../metrics.js';

export interface RouteContext {
  deps: AppDeps;
  metrics: ApiMetrics;
  /** Needs a session or a token of any role (viewer and up): reads. */
  authenticated: Guard[];
  /** Operator or admin: trigger, pause, rerun, mark, reprocess, retry files. */
  operator: Guard[];
  /** Admin only: users, tokens, cache clear. */
  admin: Guard[];
  /** Prediction reads: public or authenticated per ORDERFLOW_PUBLIC_PREDICTIONS. */
  predictionReads: Guard[];
  /** ORDERFLOW_METRICS_TOKEN: when set, /metrics needs it (or a login). */
  metricsToken: string | undefined;
  /** The caller of a route that is open to all but answers more to a logged-in caller. */
  identify(request: FastifyRequest): Promise<Principal | undefined>;
}
