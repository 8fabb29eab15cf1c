#!/usr/bin/env node
// The `prepare` script (npm install, and npx's first run of `schedbench` in this folder, which
// installs the folder into its cache and runs `prepare` again behind a spinner): builds dist/
// with `npm run build` only when a source is newer than the last build, so that `npx schedbench`
// after `npm install` has nothing to rebuild. `--stamp` (the last step of `npm run build`)
// records a finished build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');
/** What `npm run build` compiles and bundles, and the settings it reads. */
const SOURCE_DIRS = ['runner', 'bench', 'electron', 'renderer'];
const SOURCE_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.electron.json'];

if (process.argv.includes('--stamp')) {
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

/** The newest modification time (ms) of the files under `dir`, or 0. */
function newestUnder(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Why dist/ needs a build, or undefined when it is current. */
function staleReason() {
  if (!existsSync(join(root, 'dist', 'runner', 'cli', 'main.js')) || !existsSync(stamp))
    return 'dist/ has not been built yet';
  const built = statSync(stamp).mtimeMs;
  const newest = Math.max(
    ...SOURCE_DIRS.map((d) => newestUnder(join(root, d))),
    ...SOURCE_FILES.map((f) => (existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 0)),
  );
  return newest > built ? 'sources changed since the last build' : undefined;
}

/** Tells the user, also when npm hides this script's output (npx shows only a spinner then). */
function tell(text) {
  process.stderr.write(text);
  if (process.stderr.isTTY) return;
  try {
    writeFileSync('/dev/tty', text);
  } catch {
    // no terminal (CI): stderr is all there is
  }
}

const reason = staleReason();
if (reason === undefined) {
  process.stderr.write('schedbench: dist/ is up to date; nothing to build\n');
  process.exit(0);
}
tell(
  `schedbench: building dist/ (${reason}): TypeScript, the Electron shell and the renderer; ` +
    'about a minute or two, once\n',
);
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  tell('schedbench: the build failed; see the messages above, then run `npm run build`\n');
  process.exit(result.status ?? 1);
}
tell('schedbench: build done\n');
