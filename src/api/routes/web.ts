// The dashboard: static files from src/web (no build step), and chart.js and dagre (graph layout) straight from
// their packages' browser builds.
// Paths are resolved from this module: src/api/routes/ under tsx and dist/api/routes/ when compiled are both
// three levels below the package root, so ../../../src/web/ is the same folder either way.
import { createRequire } from 'node:module';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const WEB_DIR = fileURLToPath(new URL('../../../src/web/', import.meta.url));

/** URL under /vendor/ → the package and the browser build beside its resolved entry point. */
const VENDOR: Record<string, { pkg: string; file: string }> = {
  'chart.umd.js': { pkg: 'chart.js', file: 'chart.umd.js' },
  'dagre.min.js': { pkg: '@dagrejs/dagre', file: 'dagre.min.js' },
};

const vendorFile = (name: string): string => {
  const { pkg, file } = VENDOR[name];
  return path.join(path.dirname(createRequire(import.meta.url).resolve(pkg)), file);
};

export async function webRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: WEB_DIR,
    prefix: '/',
    index: ['index.html'],
    cacheControl: true,
    maxAge: 0,
  });
  // Browsers ask for /favicon.ico whatever the page links: answer with the SVG icon instead of a 404.
  let icon: Promise<Buffer> | undefined;
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => {
    icon ??= readFile(path.join(WEB_DIR, 'favicon.svg'));
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=86400')
      .send(await icon);
  });
  for (const name of Object.keys(VENDOR)) {
    let content: Promise<Buffer> | undefined;
    app.get(`/vendor/${name}`, { schema: { hide: true } }, async (_request, reply) => {
      content ??= readFile(vendorFile(name));
      return reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=86400')
        .send(await content);
    });
  }
}
