// `npm run build`, after tsc: bundles the compiled CLI (dist/runner/cli/main.js and the command
// modules it imports lazily) into dist/cli/, one file per entry and shared chunks, with esbuild.
// Node's ES-module loader costs about 0.3 ms per module, and the CLI's sweep path loads about
// 280 of them (our runner and the pure-JS packages: zod, yaml, commander, ...); bundled, a
// one-run sweep starts its run about 0.09 s sooner (docs/decisions.md). bin/schedbench.js runs
// the bundle when it is at least as new as the last tsc build (cli-entry.js), else dist/runner/.
//
// Left outside the bundle: packages that find files beside themselves at run time or load native
// code (better-sqlite3, piscina and its worker file, electron, playwright-core). Paths the
// runner resolves from its own module (repositoryPath, the migrations folder, run-worker.js) are
// the same from dist/cli/ as from dist/runner/<folder>/ or fall back to dist/runner/.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [`${root}dist/runner/cli/main.js`],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'piscina', 'electron', 'playwright-core'],
  // CommonJS packages inside an ES-module bundle call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __schedbenchRequire } from 'node:module'; const require = __schedbenchRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
