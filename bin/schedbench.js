#!/usr/bin/env node
// Entry point of the `schedbench` CLI. The TypeScript sources are compiled to dist/ by
// `npm install` (the `prepare` script) or `npm run build`, which also bundles the CLI into
// dist/cli/ for a faster start (bin/cli-entry.js picks the bundle when it is current).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliEntry } from './cli-entry.js';

const entry = cliEntry(fileURLToPath(new URL('..', import.meta.url)));
if (entry === undefined) {
  process.stderr.write('schedbench: dist/ is missing; run `npm install` or `npm run build` first.\n');
  process.exit(2);
}
const { main: run } = await import(pathToFileURL(entry).href);
process.exitCode = await run(process.argv);
