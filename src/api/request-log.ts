// Fastify's per-request log lines at debug instead of info: the dashboard polls several endpoints every few
// seconds, and at info those "incoming request" / "request completed" pairs buried everything else. Errors
// keep their level.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class DebugRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const responseTimeMs = Math.round(reply.elapsedTime);
    if (error) reply.log.error({ res: reply, err: error, responseTimeMs }, 'request errored');
    else reply.log.debug({ res: reply, responseTimeMs }, 'request completed');
  }
}
