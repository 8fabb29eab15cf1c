import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.js';

/**
 * The lint rule of eslint.config.js: only electron/ may load `electron` at runtime
 * (docs/architecture.md); type-only imports are allowed everywhere.
 */
const eslint = new ESLint({ cwd: REPO });

async function electronProblems(code: string, filePath: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.message.includes('Only electron/ may import electron')).length;
}

describe('lint: electron imports', () => {
  it('flags every runtime form outside electron/', async () => {
    const forms = [
      "import { app } from 'electron';\nexport const x = app;\n",
      "import * as m from 'electron/main';\nexport const x = m;\n",
      "export * from 'electron/renderer';\n",
      "import e = require('electron');\nexport const x = e;\n",
      "export const x = require('electron');\n",
      "export const x = import('electron/common');\n",
    ];
    for (const code of forms) {
      for (const file of ['runner/api/probe.ts', 'renderer/src/probe.ts', 'test/unit/probe.test.ts']) {
        expect(await electronProblems(code, `${REPO}${file}`), `${file}: ${code}`).toBe(1);
      }
    }
    expect(await electronProblems("module.exports = require('electron');\n", `${REPO}bin/probe.cjs`)).toBe(1);
  });

  it('allows type-only imports anywhere, lookalike packages, and everything in electron/', async () => {
    const file = `${REPO}runner/api/probe.ts`;
    expect(await electronProblems("import type { App } from 'electron';\nexport type X = App;\n", file)).toBe(
      0,
    );
    expect(await electronProblems("import b from 'electron-builder';\nexport const x = b;\n", file)).toBe(0);
    expect(
      await electronProblems(
        "import { isAppUrl } from '../../electron/app-origin.js';\nexport const x = isAppUrl;\n",
        file,
      ),
    ).toBe(0);
    expect(
      await electronProblems(
        "import { app } from 'electron';\nexport const x = app;\n",
        `${REPO}electron/probe.ts`,
      ),
    ).toBe(0);
    expect(
      await electronProblems(
        "import e = require('electron');\nexport const x = e;\n",
        `${REPO}electron/p.cts`,
      ),
    ).toBe(0);
  });
});
