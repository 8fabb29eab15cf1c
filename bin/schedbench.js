#!/usr/bin/env node
// Entry point of the `schedbench` CLI. The TypeScript sources are compiled to dist/ by
// `npm install` (the `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/runner/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('schedbench: dist/ is missing; run `npm install` or `npm run build` first.\n');
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv);
