// The layer rule of docs/architecture.md, checked by `npm run check` (and so by `npm test`): a module imports only
// from its own layer or the layers below it, and no import cycle exists anywhere in src/.
//
//   cli → app → api → orchestration → auth → cache → ml → ingest → data → store, redis → base
//
// base: leaf utilities (errors, config, logging, bounded waits); app: the composition roots that wire processes.
const LAYERS = [
  'base',
  'redis',
  'store',
  'data',
  'ingest',
  'ml',
  'cache',
  'auth',
  'orchestration',
  'api',
  'app',
  'cli',
];
// redis and store are side by side: neither imports the other.
const SIDE_BY_SIDE = { redis: ['store'], store: ['redis'] };

const upward = LAYERS.map((layer, i) => ({
  name: `${layer}-imports-upward`,
  comment: `src/${layer}/ may import only from layers below it: ${LAYERS.slice(0, i).join(', ') || '(none)'}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${[...LAYERS.slice(i + 1), ...(SIDE_BY_SIDE[layer] ?? [])].join('|')})/` },
})).filter((rule) => !rule.to.path.endsWith('()/'));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'no-root-modules',
      comment: 'every module of src/ belongs to a layer folder',
      severity: 'error',
      from: { path: '^src/[^/]+$' },
      to: {},
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/web/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
