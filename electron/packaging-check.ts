/**
 * Checks around the native rebuild of `npm run dist` (electron-builder.yml names this module's
 * compiled file, dist/electron/packaging-check.js, as its `beforeBuild` and `afterPack` hooks).
 *
 * While packaging, electron-builder rebuilds better-sqlite3 for Electron's ABI with
 * @electron/rebuild, which runs node-gyp with `--target=<Electron version> --runtime=electron`.
 * node-gyp also reads npm's settings from the environment, and an npm setting `nodedir`
 * (`nodedir=/usr` in ~/.npmrc, common where Node's headers cannot be downloaded) wins over
 * `--target`: the addon is then compiled against the system Node's headers (Node 20,
 * NODE_MODULE_VERSION 115) while the package says it is Electron's, and the packaged app fails
 * only when it first opens the database. The same happens when the Electron headers can be
 * neither found nor downloaded. So:
 * - `beforeBuild` stops packaging, saying why and what to do, unless the headers node-gyp will
 *   use are Electron's (nodedir pointing at headers of Electron's ABI, or no nodedir and the
 *   headers in ~/.electron-gyp or downloadable);
 * - `afterPack` reads the ABI every packaged addon registers (`node_register_module_v<ABI>`, in
 *   addons built on V8's API such as better-sqlite3) and stops packaging when one is not
 *   Electron's, whatever built it.
 *
 * Not part of the packaged app (electron-builder.yml leaves it out). No `electron` import: it
 * runs in electron-builder's Node process.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where @electron/rebuild downloads Electron headers from (its `headerURL` default). */
export const ELECTRON_HEADERS_URL = 'https://www.electronjs.org/headers';

/** node-gyp's header cache of @electron/rebuild (its ELECTRON_GYP_DIR): `<dir>/<version>/include/node`. */
export const ELECTRON_GYP_DIR = join(homedir(), '.electron-gyp');

/** `NODE_MODULE_VERSION` of a node_version.h, or null when it has none. */
export function moduleVersionOfHeader(text: string): number | null {
  const match = /^#define NODE_MODULE_VERSION (\d+)\s*$/m.exec(text);
  return match ? Number(match[1]) : null;
}

/** The ABIs an addon registers for (`node_register_module_v<ABI>` symbols); empty for a Node-API addon. */
export function registeredAbis(binary: Uint8Array): number[] {
  const text = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString('latin1');
  return [...new Set([...text.matchAll(/node_register_module_v(\d+)/g)].map((m) => Number(m[1])))];
}

/** What the header check needs (injected, so the test needs no network and no home folder). */
export interface HeaderCheckInput {
  electronVersion: string;
  /** Electron's NODE_MODULE_VERSION (node_modules/electron/abi_version). */
  electronAbi: number;
  /** npm's `nodedir` setting as node-gyp sees it (`npm_config_nodedir`); empty or undefined: none. */
  nodedir: string | undefined;
  /** node-gyp's header cache for Electron (ELECTRON_GYP_DIR). */
  devdir: string;
  /** Reads a file; null when it does not exist. */
  readText(path: string): string | null;
  /** Whether the headers' archive can be downloaded: null if so, else why not. */
  download(url: string): Promise<string | null>;
}

/** The outcome: the headers node-gyp will use, or why packaging must stop. */
export type HeaderCheck = { ok: true; headers: string } | { ok: false; reason: string };

/** See the module comment (`beforeBuild`). */
export async function checkElectronHeaders(input: HeaderCheckInput): Promise<HeaderCheck> {
  const { electronVersion: version, electronAbi: abi } = input;
  const want = `Electron ${version}'s (NODE_MODULE_VERSION ${abi})`;
  if (input.nodedir) {
    const header = join(input.nodedir, 'include', 'node', 'node_version.h');
    const text = input.readText(header);
    const found = text === null ? null : moduleVersionOfHeader(text);
    if (found === abi) return { ok: true, headers: input.nodedir };
    return {
      ok: false,
      reason:
        `npm's nodedir setting is ${input.nodedir} (${text === null ? `no ${header}` : `headers of NODE_MODULE_VERSION ${found ?? '?'}`}); ` +
        `node-gyp would compile better-sqlite3 against those headers instead of ${want}, and the packaged ` +
        'app could not load it. Package without it: `npm run dist --nodedir=` (or remove nodedir from ~/.npmrc), ' +
        `so that Electron's headers are used, or point nodedir at Electron ${version}'s headers.`,
    };
  }
  const cached = join(input.devdir, version);
  const text = input.readText(join(cached, 'include', 'node', 'node_version.h'));
  if (text !== null) {
    const found = moduleVersionOfHeader(text);
    if (found === abi) return { ok: true, headers: cached };
    return {
      ok: false,
      reason: `${cached} holds headers of NODE_MODULE_VERSION ${found ?? '?'}, not ${want}: delete it and package again.`,
    };
  }
  const url = `${ELECTRON_HEADERS_URL}/v${version}/node-v${version}-headers.tar.gz`;
  const problem = await input.download(url);
  if (problem === null) return { ok: true, headers: url };
  return {
    ok: false,
    reason:
      `Electron ${version}'s headers (NODE_MODULE_VERSION ${abi}) are not in ${cached} and cannot be downloaded from ${url} (${problem}); ` +
      'better-sqlite3 cannot be rebuilt for Electron without them. Fetch them on a machine with access ' +
      `(\`npx node-gyp install --target=${version} --dist-url=${ELECTRON_HEADERS_URL} --devdir=${input.devdir}\`) ` +
      `and copy ${cached} here.`,
  };
}

/** Every `.node` file under a folder (absolute paths). */
export function nativeAddons(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...nativeAddons(path));
    else if (entry.isFile() && entry.name.endsWith('.node')) found.push(path);
  }
  return found;
}

/**
 * The packaged addons whose registered ABI is not Electron's, as messages (`afterPack`).
 * @param addons paths of the packaged `.node` files
 */
export function foreignAbis(
  addons: readonly string[],
  electronAbi: number,
  read: (path: string) => Uint8Array,
): string[] {
  const problems: string[] = [];
  for (const path of addons) {
    const abis = registeredAbis(read(path));
    if (abis.length > 0 && !abis.includes(electronAbi)) {
      problems.push(
        `${path} is built for NODE_MODULE_VERSION ${abis.join(', ')}, not Electron's ${electronAbi}`,
      );
    }
  }
  return problems;
}

/** The repository (this file is dist/electron/packaging-check.js). */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Electron's NODE_MODULE_VERSION, from the electron package. */
function electronAbi(): number {
  const file = join(REPO, 'node_modules', 'electron', 'abi_version');
  const abi = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(abi) || abi <= 0) throw new Error(`${file}: not an ABI number`);
  return abi;
}

/** Electron's version, from the electron package. */
function electronVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'node_modules', 'electron', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Whether a URL answers a HEAD request within 15 s: null if so, else why not. */
async function canDownload(url: string): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method: 'HEAD',
      redirect: 'follow',
      signal: AbortSignal.timeout(15_000),
    });
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return cause ?? (err as Error).message;
  }
}

/**
 * electron-builder's `beforeBuild` hook (before the native rebuild): throws when the rebuild
 * would not use Electron's headers. Resolves true: electron-builder then rebuilds as usual.
 */
export async function beforeBuild(context: { electronVersion?: string }): Promise<boolean> {
  const version = context.electronVersion ?? electronVersion();
  const check = await checkElectronHeaders({
    electronVersion: version,
    electronAbi: electronAbi(),
    nodedir: process.env.npm_config_nodedir,
    devdir: ELECTRON_GYP_DIR,
    readText: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : null),
    download: canDownload,
  });
  if (!check.ok) throw new Error(`schedbench packaging stopped: ${check.reason}`);
  console.log(
    `schedbench: rebuilding native addons for Electron ${version} with the headers of ${check.headers}`,
  );
  return true;
}

/** electron-builder's `afterPack` hook: throws when a packaged addon is not built for Electron. */
export async function afterPack(context: { appOutDir: string }): Promise<void> {
  const abi = electronAbi();
  const unpacked = join(context.appOutDir, 'resources', 'app.asar.unpacked');
  const addons = nativeAddons(unpacked);
  if (!addons.some((path) => path.endsWith('better_sqlite3.node'))) {
    throw new Error(`schedbench packaging stopped: no better_sqlite3.node under ${unpacked} (asarUnpack)`);
  }
  const problems = foreignAbis(addons, abi, (path) => readFileSync(path));
  if (problems.length > 0) {
    throw new Error(
      `schedbench packaging stopped: ${problems.join('; ')}. The packaged app could not load them.`,
    );
  }
}
