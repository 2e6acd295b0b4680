// The dashboard: static files from src/web (no build step) and chart.js straight from its package.
// Paths are resolved from this module: src/api/routes/ under tsx and dist/api/routes/ when compiled are both
// three levels below the package root, so ../../../src/web/ is the same folder either way.
import { createRequire } from 'node:module';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_DIR = fileURLToPath(new URL('../../../src/web/', import.meta.url));

const chartJsFile = (): string =>
  path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

export async function webRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: WEB_DIR,
    prefix: '/',
    index: ['index.html'],
    cacheControl: true,
    maxAge: 0,
  });
  let chartJs: Promise<Buffer> | undefined;
  app.get('/vendor/chart.umd.js', { schema: { hide: true } }, async (_request, reply) => {
    chartJs ??= readFile(chartJsFile());
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(await chartJs);
  });
}
