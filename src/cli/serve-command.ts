// `orderflow serve [--port N]`: the HTTP API and dashboard until SIGINT/SIGTERM. Port: --port, else PORT, else
// 8080; host: HOST, else 127.0.0.1. The work is in src/app/server.ts (also used by `orderflow up`).
import type { Command } from 'commander';
import type { ContextFactory } from './context.js';
import { parseIntegerFlag } from './options.js';

// Fastify and the services are imported when the command runs.
const serving = () => import('./serve-stages.js');

export function registerServeCommand(program: Command, context: ContextFactory): void {
  program
    .command('serve')
    .description('Serve the HTTP API and the dashboard (port: --port, else PORT, else 8080; host: HOST)')
    .option('--port <n>', 'port to listen on (0 = any free port)', parseIntegerFlag('--port', 0, 65535))
    .action(async (flags: { port?: number }) => {
      const ctx = context();
      const server = await (
        await serving()
      ).startServer(
        { config: ctx.config, logger: ctx.logger, announce: ctx.err },
        { port: flags.port ?? ctx.config.port },
      );
      await (
        await serving()
      ).runUntilSignal([server], ctx.logger, {
        ready: () => ctx.out(`orderflow API and dashboard on ${server.url}`),
      });
    });
}
