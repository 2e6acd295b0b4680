// What every route module receives from createApp: the stage services, the metrics and the auth guards.
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { AppDeps } from '../deps.js';
import type { ApiMetrics } from '../metrics.js';

export interface RouteContext {
  deps: AppDeps;
  metrics: ApiMetrics;
  /** Needs a session or the API token. */
  authenticated: preHandlerAsyncHookHandler[];
  /** Prediction reads: public or authenticated per ORDERFLOW_PUBLIC_PREDICTIONS. */
  predictionReads: preHandlerAsyncHookHandler[];
}
