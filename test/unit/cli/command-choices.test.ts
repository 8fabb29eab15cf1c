/**
 * main.ts declares the commands with the choices of command-choices.ts, without loading the
 * command modules; each module's own constant must be the same, or the help would offer (and
 * the option check accept) something the command does not do.
 */
import { describe, expect, it } from 'vitest';
import * as choices from '../../../runner/cli/command-choices.js';

describe('command choices', () => {
  it("equal the command modules' own constants", async () => {
    const owners = {
      RUNS_FORMATS: (await import('../../../runner/cli/runs-command.js')).RUNS_FORMATS,
      COMPARE_FORMATS: (await import('../../../runner/cli/compare-command.js')).COMPARE_FORMATS,
      SUMMARY_FORMATS: (await import('../../../runner/cli/summary-command.js')).SUMMARY_FORMATS,
      CAPACITY_FORMATS: (await import('../../../runner/cli/capacity-command.js')).CAPACITY_FORMATS,
      MACHINES_FORMATS: (await import('../../../runner/cli/machines-command.js')).MACHINES_FORMATS,
      FLUID_FORMATS: (await import('../../../runner/cli/fluid-command.js')).FLUID_FORMATS,
      REPORT_FORMATS: (await import('../../../runner/cli/report-command.js')).REPORT_FORMATS,
      IMPORT_FORMATS: (await import('../../../runner/cli/import-command.js')).IMPORT_FORMATS,
      DEFAULT_SERVE_PORT: (await import('../../../runner/cli/serve-command.js')).DEFAULT_SERVE_PORT,
      TARGET_UTILISATION: (await import('../../../runner/cli/gpu-report-twin-runs.js')).TARGET_UTILISATION,
    };
    expect(Object.keys(owners).sort()).toEqual(Object.keys(choices).sort());
    for (const [name, value] of Object.entries(owners)) {
      expect(choices[name as keyof typeof choices], name).toEqual(value);
    }
  });
});
