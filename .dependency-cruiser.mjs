// dependency-cruiser configuration: the layering of docs/architecture.md, checked by `npm run lint`
// (`npm run lint:deps` alone). Type-only imports count: a type-only upward import is still an upward
// arrow. test/unit/architecture/dependency-rules.test.ts proves the rules bite.

/**
 * The layers, top to bottom (docs/architecture.md). A folder may import its own modules and the
 * folders of LOWER layers only: never a higher layer, and never another folder of its own layer.
 * Every folder of runner/ must be listed (rule `unlayered-folder`).
 * @type {{ name: string, folders: string[] }[]}
 */
export const LAYERS = [
  { name: 'scripts', folders: ['bench'] },
  { name: 'ui and cli', folders: ['electron', 'renderer', 'runner/cli'] },
  { name: 'api', folders: ['runner/api'] },
  { name: 'sweeps', folders: ['runner/sweeps'] },
  { name: 'reports and datasets', folders: ['runner/reports', 'runner/datasets'] },
  { name: 'machines', folders: ['runner/machines'] },
  { name: 'workers', folders: ['runner/workers'] },
  { name: 'store', folders: ['runner/store'] },
  { name: 'schedulers', folders: ['runner/schedulers'] },
  { name: 'metrics and fluid', folders: ['runner/metrics', 'runner/fluid'] },
  { name: 'engine', folders: ['runner/engine'] },
  { name: 'latency and workloads', folders: ['runner/latency', 'runner/workloads'] },
];

/** runner/errors.ts, runner/repository-path.ts, runner/stable-json.ts: below every layer. */
const SHARED = '^runner/[^/]+$';

/** Regular expression matching the modules of the given folders. */
const inFolders = (folders) =>
  `^(${folders.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})/`;

const ALL_FOLDERS = LAYERS.flatMap((layer) => layer.folders);

/**
 * One rule per folder: what it must not import (the folders of higher layers and its own layer's
 * other folders), named `layer-order-<folder>`.
 */
const layerOrder = LAYERS.flatMap((layer, index) => {
  const higher = LAYERS.slice(0, index).flatMap((l) => l.folders);
  return layer.folders.flatMap((folder) => {
    const forbidden = [...higher, ...layer.folders.filter((f) => f !== folder)];
    if (forbidden.length === 0) return [];
    return [
      {
        name: `layer-order-${folder.replace(/^runner\//, '')}`,
        comment:
          `${folder}/ (layer "${layer.name}") must not import ${forbidden.map((f) => `${f}/`).join(', ')}: ` +
          'a folder imports only lower layers (docs/architecture.md)',
        severity: 'error',
        from: { path: inFolders([folder]) },
        to: { path: inFolders(forbidden) },
      },
    ];
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'No import cycles: the layers form a tree of dependencies, and so do the modules inside a folder.',
      severity: 'error',
      from: { path: '^(runner|bench|electron|renderer)/' },
      to: { circular: true },
    },
    {
      name: 'core-not-to-services',
      comment:
        'The simulation core (engine, latency, workloads, metrics, fluid) is pure computation: it never imports ' +
        'the store, sweeps, the API, the CLI, GPU workers or machine resolution.',
      severity: 'error',
      from: { path: '^runner/(engine|latency|workloads|metrics|fluid)/' },
      to: { path: '^runner/(store|sweeps|api|cli|workers|machines)/' },
    },
    {
      name: 'schedulers-not-to-store-or-sweeps',
      comment:
        'Scheduling policies see only the engine view and the scheduler context: never the store or sweeps.',
      severity: 'error',
      from: { path: '^runner/schedulers/' },
      to: { path: '^runner/(store|sweeps)/' },
    },
    ...layerOrder,
    {
      name: 'not-to-unlayered-folder',
      comment:
        'Every folder of runner/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.mjs ' +
        'and to docs/architecture.md.',
      severity: 'error',
      from: { path: '^runner/' },
      to: { path: '^runner/', pathNot: [inFolders(ALL_FOLDERS), SHARED] },
    },
    {
      name: 'unlayered-folder',
      comment:
        'Every folder of runner/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.mjs ' +
        'and to docs/architecture.md.',
      severity: 'error',
      from: { path: '^runner/', pathNot: [inFolders(ALL_FOLDERS), SHARED] },
      to: {},
    },
    {
      name: 'electron-only-in-electron',
      comment:
        'Only electron/ may load `electron` at runtime; elsewhere use `import type` (without the Electron binary, ' +
        'loading it under plain Node throws). ESLint checks the same (eslint.config.js).',
      severity: 'error',
      from: { pathNot: '^electron/' },
      to: { path: '(^|/)node_modules/electron/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve packages through their `exports` (csv-parse/sync, vite), so every import is checked.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
