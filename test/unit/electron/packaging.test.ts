import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { devElectronArgs } from '../../../electron/dev-start.js';
import {
  checkElectronHeaders,
  foreignAbis,
  moduleVersionOfHeader,
  registeredAbis,
  type HeaderCheckInput,
} from '../../../electron/packaging-check.js';
import { defaultWorkerDir, unpackedPath } from '../../../runner/workers/local-worker.js';
import { REPO } from '../../helpers/cli.js';

/**
 * Packaging and starting the desktop app: the packaged worker found outside the asar, `npm
 * start` as root, the electron-builder config (valid, a deb's metadata, the worker unpacked, the
 * rebuild checks hooked in), and the checks that stop packaging when better-sqlite3 would be
 * rebuilt against other headers than Electron's (electron/packaging-check.ts).
 */

describe('the local worker outside the asar', () => {
  it('maps app.asar to app.asar.unpacked and leaves other paths alone', () => {
    expect(unpackedPath('/opt/Schedbench/resources/app.asar/worker', '/')).toBe(
      '/opt/Schedbench/resources/app.asar.unpacked/worker',
    );
    expect(unpackedPath('/tmp/.mount_SchedbXyz/resources/app.asar/worker', '/')).toBe(
      '/tmp/.mount_SchedbXyz/resources/app.asar.unpacked/worker',
    );
    expect(unpackedPath('C:\\Program Files\\Schedbench\\resources\\app.asar\\worker', '\\')).toBe(
      'C:\\Program Files\\Schedbench\\resources\\app.asar.unpacked\\worker',
    );
    // Only a whole path segment named app.asar; an unpacked path stays as it is.
    for (const path of [
      '/work/main/worker',
      '/home/me/app.asar.backup/worker',
      '/home/me/my-app.asar/worker',
      '/opt/Schedbench/resources/app.asar.unpacked/worker',
    ]) {
      expect(unpackedPath(path, '/')).toBe(path);
    }
  });

  it('is the repository worker/ in development, with the Python package in it', () => {
    expect(defaultWorkerDir()).toBe(join(REPO, 'worker'));
    expect(existsSync(join(defaultWorkerDir(), 'schedbench_worker', '__main__.py'))).toBe(true);
  });
});

describe('npm start', () => {
  it('adds --no-sandbox only as root', () => {
    expect(devElectronArgs(0, '/repo', [])).toEqual(['--no-sandbox', '/repo']);
    expect(devElectronArgs(1000, '/repo', ['--db', 'x.db'])).toEqual(['/repo', '--db', 'x.db']);
    expect(devElectronArgs(undefined, '/repo', [])).toEqual(['/repo']);
  });

  it('runs the launcher after the build', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe('npm run build && node dist/electron/dev-start.js');
  });
});

/** electron-builder.yml, parsed. */
const CONFIG = parse(readFileSync(join(REPO, 'electron-builder.yml'), 'utf8')) as {
  extraMetadata: { homepage?: string; author?: { name: string; email: string } };
  files: string[];
  asarUnpack: string[];
  beforeBuild: string;
  afterPack: string;
  linux: { maintainer?: string; target: string[] };
};

describe('electron-builder.yml', () => {
  it('matches electron-builder’s schema', async () => {
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require(
      join(REPO, 'node_modules/app-builder-lib/out/util/config/config.js'),
    ) as { validateConfiguration(config: unknown, logger: unknown): Promise<void> };
    await expect(validateConfiguration(CONFIG, { add() {}, isEnabled: false })).resolves.toBeUndefined();
  });

  it('gives the deb what fpm requires: a homepage and a maintainer (FpmTarget)', () => {
    expect(CONFIG.linux.target).toContain('deb');
    expect(new URL(CONFIG.extraMetadata.homepage!).protocol).toBe('https:');
    expect(CONFIG.linux.maintainer).toMatch(/^[^<>]+ <[^<>@\s]+@[^<>\s]+>$/);
    expect(CONFIG.extraMetadata.author?.email).toMatch(/@/);
  });

  it('packs the worker and unpacks it from the asar, so python3 can read it', () => {
    expect(CONFIG.files).toContain('worker/schedbench_worker/**/*');
    expect(CONFIG.asarUnpack).toContain('worker/**/*');
    expect(CONFIG.asarUnpack).toContain('**/*.node');
  });

  it('checks the native rebuild before and after, with a hook module that exists after the build', async () => {
    expect(CONFIG.beforeBuild).toBe('./dist/electron/packaging-check.js');
    expect(CONFIG.afterPack).toBe('./dist/electron/packaging-check.js');
    const hooks = await import('../../../electron/packaging-check.js');
    expect(typeof hooks.beforeBuild).toBe('function');
    expect(typeof hooks.afterPack).toBe('function');
    // Build-time scripts stay out of the app.
    expect(CONFIG.files).toContain('!dist/electron/packaging-check.js');
    expect(CONFIG.files).toContain('!dist/electron/dev-start.js');
  });
});

describe('the rebuild for Electron uses Electron’s headers, or packaging stops', () => {
  const header = (abi: number): string =>
    `#define NODE_MAJOR_VERSION 22\n#ifdef NODE_EMBEDDER_MODULE_VERSION\n#define NODE_MODULE_VERSION NODE_EMBEDDER_MODULE_VERSION\n#else\n#define NODE_MODULE_VERSION ${abi}\n#endif\n`;
  const input = (overrides: Partial<HeaderCheckInput>): HeaderCheckInput => ({
    electronVersion: '45.4.1',
    electronAbi: 140,
    nodedir: undefined,
    devdir: '/home/me/.electron-gyp',
    readText: () => null,
    download: () => Promise.resolve('getaddrinfo ENOTFOUND www.electronjs.org'),
    ...overrides,
  });

  it('reads NODE_MODULE_VERSION from node_version.h, the numeric definition', () => {
    expect(moduleVersionOfHeader(header(140))).toBe(140);
    expect(moduleVersionOfHeader('#define NODE_MAJOR_VERSION 20\n')).toBeNull();
    if (existsSync('/usr/include/node/node_version.h')) {
      const system = moduleVersionOfHeader(readFileSync('/usr/include/node/node_version.h', 'utf8'));
      expect(system).toBe(Number(process.versions.modules));
    }
  });

  it('stops when npm’s nodedir points at other headers (nodedir=/usr: the system Node’s)', async () => {
    const check = await checkElectronHeaders(
      input({
        nodedir: '/usr',
        readText: (path) => (path === '/usr/include/node/node_version.h' ? header(115) : null),
        download: () => Promise.resolve(null),
      }),
    );
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(
      /^npm's nodedir setting is \/usr \(headers of NODE_MODULE_VERSION 115\); .*instead of Electron 45\.4\.1's \(NODE_MODULE_VERSION 140\).*`npm run dist --nodedir=`/,
    );
    const missing = await checkElectronHeaders(input({ nodedir: '/nowhere' }));
    expect(!missing.ok && missing.reason).toMatch(/no \/nowhere\/include\/node\/node_version\.h/);
  });

  it('accepts a nodedir of Electron’s headers, or cached headers of Electron’s ABI', async () => {
    const nodedir = await checkElectronHeaders(
      input({ nodedir: '/opt/electron-headers', readText: () => header(140) }),
    );
    expect(nodedir).toEqual({ ok: true, headers: '/opt/electron-headers' });
    const cached = await checkElectronHeaders(
      input({
        readText: (path) =>
          path === '/home/me/.electron-gyp/45.4.1/include/node/node_version.h' ? header(140) : null,
      }),
    );
    expect(cached).toEqual({ ok: true, headers: '/home/me/.electron-gyp/45.4.1' });
    const wrong = await checkElectronHeaders(input({ readText: () => header(115) }));
    expect(!wrong.ok && wrong.reason).toMatch(/holds headers of NODE_MODULE_VERSION 115/);
  });

  it('without cached headers, needs to be able to download them', async () => {
    const urls: string[] = [];
    const reachable = await checkElectronHeaders(
      input({
        download: (url) => {
          urls.push(url);
          return Promise.resolve(null);
        },
      }),
    );
    expect(urls).toEqual(['https://www.electronjs.org/headers/v45.4.1/node-v45.4.1-headers.tar.gz']);
    expect(reachable.ok).toBe(true);
    const offline = await checkElectronHeaders(input({}));
    expect(offline.ok).toBe(false);
    expect(!offline.ok && offline.reason).toMatch(
      /cannot be downloaded from .* \(getaddrinfo ENOTFOUND www\.electronjs\.org\); better-sqlite3 cannot be rebuilt/,
    );
  });

  it('after packing, finds an addon built for another ABI (this checkout’s better-sqlite3 is the system Node’s)', () => {
    const addon = join(REPO, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    const nodeAbi = Number(process.versions.modules);
    expect(registeredAbis(readFileSync(addon))).toEqual([nodeAbi]);
    expect(foreignAbis([addon], nodeAbi, (p) => readFileSync(p))).toEqual([]);
    expect(foreignAbis([addon], 140, (p) => readFileSync(p))).toEqual([
      `${addon} is built for NODE_MODULE_VERSION ${nodeAbi}, not Electron's 140`,
    ]);
    // A Node-API addon registers no versioned symbol: nothing to object to.
    expect(
      foreignAbis(['napi.node'], 140, () => new TextEncoder().encode('napi_register_module_v1')),
    ).toEqual([]);
  });
});
