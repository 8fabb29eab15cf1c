/**
 * `npm start`: runs the app in development, `electron [--no-sandbox] . [ARGS]`, after
 * `npm run build` (package.json). ARGS are those given after `npm start --` (`--db FILE`).
 *
 * `--no-sandbox` only as root: Chromium refuses to start as root with its OS-level sandbox
 * ("Running as root without --no-sandbox is not supported", crbug.com/638180), because the
 * setuid/namespace sandbox cannot drop the privileges of a root process. Containers and CI
 * machines often run as root, where `electron .` otherwise exits at once. For any other user the
 * sandbox stays on. What still protects the page without it: context isolation, no Node in the
 * renderer or the preload, the strict CSP, the navigation and IPC guards (main.ts); the OS
 * sandbox is an extra wall that a root session gives up. The packaged app is not started this
 * way; run it as a normal user.
 *
 * Not part of the packaged app (electron-builder.yml leaves it out).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The arguments of `electron` for `npm start`.
 * @param uid the user id (`process.getuid()`; undefined where there is none, as on Windows)
 * @param appDir the folder with package.json
 * @param extra arguments passed on to the app
 */
export function devElectronArgs(uid: number | undefined, appDir: string, extra: readonly string[]): string[] {
  return [...(uid === 0 ? ['--no-sandbox'] : []), appDir, ...extra];
}

/** Runs Electron and exits as it exits (npm puts node_modules/.bin on the PATH). */
function main(): void {
  const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const args = devElectronArgs(process.getuid?.(), appDir, process.argv.slice(2));
  if (args[0] === '--no-sandbox') {
    console.warn(
      'schedbench: running as root, so Electron starts with --no-sandbox (see electron/dev-start.ts)',
    );
  }
  const child = spawn('electron', args, { stdio: 'inherit' });
  child.on('error', (err) => {
    console.error(`schedbench: could not start electron: ${err.message}`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
