import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.js';

/** The project's dependency rules (docs/architecture.md), as `npm run lint:deps` uses them. */
const CONFIG = join(REPO, '.dependency-cruiser.mjs');
const DEPCRUISE = join(REPO, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** One rule violation in dependency-cruiser's JSON output. */
interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/**
 * Runs dependency-cruiser's CLI with the project's config over `targets` in `cwd`.
 * @returns the violations and the number of modules cruised
 * @throws Error when dependency-cruiser prints no JSON (a broken config, a crash)
 */
function cruise(cwd: string, targets: string[]): { violations: Violation[]; modules: number } {
  const r = spawnSync(
    process.execPath,
    [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', ...targets],
    {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
      timeout: 60_000,
    },
  );
  if (!r.stdout) throw new Error(`dependency-cruiser exited ${r.status}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: out.summary.violations, modules: out.summary.totalCruised };
}

/** `from -> to: rule` lines, for readable failures (a package's path from its node_modules/ on). */
const describeViolations = (violations: Violation[]): string[] =>
  violations.map(
    (v) => `${v.from} -> ${v.to.replace(/^.*\/node_modules\//, 'node_modules/')}: ${v.rule.name}`,
  );

describe('dependency rules (.dependency-cruiser.mjs)', () => {
  it('the real tree has no violations', () => {
    const { violations, modules } = cruise(REPO, ['runner', 'bench', 'electron', 'renderer']);
    expect(describeViolations(violations)).toEqual([]);
    expect(modules).toBeGreaterThan(100);
  });

  it('every folder of runner/ sits in a layer', async () => {
    const { LAYERS } = (await import(pathToFileURL(CONFIG).href)) as {
      LAYERS: { name: string; folders: string[] }[];
    };
    const layered = new Set(LAYERS.flatMap((layer) => layer.folders));
    const folders = readdirSync(join(REPO, 'runner'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `runner/${entry.name}`);
    expect(folders.filter((folder) => !layered.has(folder))).toEqual([]);
  });

  describe('on a fixture tree with deliberately wrong imports', () => {
    let root: string;
    /** Fixture modules, path -> source. */
    const FILES: Record<string, string> = {
      'runner/errors.ts': 'export class InputError extends Error {}\n',
      'runner/store/store.ts':
        "import type { RequestRecords } from '../engine/run-records.js';\nexport interface Store { records?: RequestRecords }\n",
      'runner/engine/run-records.ts': 'export interface RequestRecords { arrival: Float64Array }\n',
      // engine -> store, type-only: still an upward arrow.
      'runner/engine/replica-engine.ts':
        "import { InputError } from '../errors.js';\nimport type { Store } from '../store/store.js';\nexport const check = (s: Store) => { if (!s) throw new InputError(); };\n",
      'runner/sweeps/sweep-plan.ts': 'export const plan = 1;\n',
      // schedulers -> sweeps.
      'runner/schedulers/fcfs.ts':
        "import { plan } from '../sweeps/sweep-plan.js';\nexport const fcfs = plan;\n",
      // A cycle inside latency/ (reported once, at its first module).
      'runner/latency/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'runner/latency/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      // A folder in no layer.
      'runner/gadgets/gadget.ts':
        "import { InputError } from '../errors.js';\nexport const gadget = InputError;\n",
      // electron at runtime outside electron/.
      'runner/api/desktop.ts': "import { app } from 'electron';\nexport const desktop = app;\n",
    };

    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'schedbench-deps-'));
      for (const [path, source] of Object.entries(FILES)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), source);
      }
      cpSync(join(REPO, 'tsconfig.json'), join(root, 'tsconfig.json'));
      symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('reports each wrong import by rule name, and nothing for the allowed ones', () => {
      const found = describeViolations(cruise(root, ['runner']).violations);
      expect(found.sort()).toEqual(
        [
          'runner/engine/replica-engine.ts -> runner/store/store.ts: core-not-to-services',
          'runner/engine/replica-engine.ts -> runner/store/store.ts: layer-order-engine',
          'runner/schedulers/fcfs.ts -> runner/sweeps/sweep-plan.ts: layer-order-schedulers',
          'runner/schedulers/fcfs.ts -> runner/sweeps/sweep-plan.ts: schedulers-not-to-store-or-sweeps',
          'runner/latency/a.ts -> runner/latency/b.ts: no-circular',
          'runner/gadgets/gadget.ts -> runner/errors.ts: unlayered-folder',
          'runner/api/desktop.ts -> node_modules/electron/index.js: electron-only-in-electron',
        ].sort(),
      );
    });
  });
});
