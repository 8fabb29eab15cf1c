/**
 * The option choices and defaults that the command declarations in main.ts show in their help
 * and check before a command runs: the output formats of each command, `serve`'s default port
 * and `gpu-report`'s target utilisation. They live here, apart from the command modules that own
 * them, so that declaring every command loads none of those modules (`schedbench --version`,
 * `--help` and `sweep` start without the reports, the API or the workers); the command modules'
 * own constants must stay equal to these (test/unit/cli/command-choices.test.ts checks).
 */

/** `runs --format` (runs-command.ts RUNS_FORMATS). */
export const RUNS_FORMATS = ['table', 'json', 'csv'] as const;
/** `compare --format` (compare-command.ts). */
export const COMPARE_FORMATS = ['table', 'json'] as const;
/** `summary --format` (summary-command.ts). */
export const SUMMARY_FORMATS = ['table', 'markdown', 'json'] as const;
/** `capacity --format` (capacity-command.ts). */
export const CAPACITY_FORMATS = ['table', 'json'] as const;
/** `machines list --format` (machines-command.ts). */
export const MACHINES_FORMATS = ['table', 'json'] as const;
/** `fluid --format` (fluid-command.ts). */
export const FLUID_FORMATS = ['table', 'json'] as const;
/** `report --format` (report-command.ts). */
export const REPORT_FORMATS = ['html', 'csv', 'json'] as const;
/** `import --format` (import-command.ts). */
export const IMPORT_FORMATS = ['text', 'json'] as const;
/** `serve --port` default, a TCP port on 127.0.0.1 (serve-command.ts). */
export const DEFAULT_SERVE_PORT = 8484;
/** `gpu-report --rate` default: this fraction of the calibrated capacity estimate (gpu-report-twin-runs.ts). */
export const TARGET_UTILISATION = 0.6;
