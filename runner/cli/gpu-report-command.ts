import { databaseFault } from '../store/open-database.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { GpuReportData, WorkerDtype } from '../reports/gpu-report-data.js';
import { renderGpuReportMarkdown } from '../reports/gpu-report-markdown.js';
import { defaultDatabasePath } from '../store/default-database.js';
import { Store } from '../store/store.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';
import { describeWorkerMachine } from '../workers/start-worker.js';
import { calibrate } from './gpu-report-calibration.js';
import { measureDevice } from './gpu-report-device.js';
import type { GpuReportOptions } from './gpu-report-options.js';
import { runTwins } from './gpu-report-twin-runs.js';
import { registeredMachine } from './worker-machines-command.js';

/** Name of the local machine registered when --machine is not given (removed at the end). */
export const TEMPORARY_MACHINE = 'gpu-report-local';

/**
 * `schedbench gpu-report`: measures a model on a GPU worker (measureGpuReport) and writes the
 * Markdown report (runner/reports/gpu-report-markdown.ts) to `o.out`, creating its folder.
 * @param argv the command-line words after `gpu-report`, as given (the report repeats them)
 * @param progress called with one line per step
 * @returns the path of the report written
 * @throws as measureGpuReport
 */
export async function gpuReportCommand(
  o: GpuReportOptions,
  argv: string[],
  progress: (line: string) => void,
): Promise<string> {
  const data = await measureGpuReport(o, argv, progress);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, renderGpuReportMarkdown(data));
  progress(`report written to ${o.out}`);
  return o.out;
}

/**
 * Every measurement of the report, in order: steps 1-3 on one worker (measureDevice: hello,
 * roofline, decode and prefill against the roofline floors), step 4 the calibration (calibrate:
 * `schedbench profile`, stored), step 5 the GPU-in-the-loop run and its simulated twin (runTwins).
 * Without --machine a temporary local machine (TEMPORARY_MACHINE, running `o.python`) is
 * registered and removed at the end; without --db and --machine the database is a temporary file.
 * The spec files and a temporary database live in a temporary folder, removed at the end.
 * @param argv the command-line words after `gpu-report`, as given
 * @param progress called with one line per step
 * @throws InputError for an unknown --machine, or when TEMPORARY_MACHINE is already registered
 *   (left by an interrupted run); WorkerError when the worker cannot start, load or time a shape;
 *   TwinRunError when a run of the twin pair fails
 */
export async function measureGpuReport(
  o: GpuReportOptions,
  argv: string[],
  progress: (line: string) => void,
): Promise<GpuReportData> {
  const startedAt = new Date().toISOString();
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-gpu-report-'));
  const dbTemporary = o.db === undefined && o.machine === undefined;
  const dbFile = o.db ?? (o.machine === undefined ? join(dir, 'gpu-report.db') : defaultDatabasePath());
  try {
    const store = Store.open(dbFile);
    let temporary: string | undefined;
    try {
      let machine: WorkerMachine;
      if (o.machine !== undefined) {
        machine = registeredMachine(store, o.machine);
      } else {
        const existing = store.getWorkerMachine(TEMPORARY_MACHINE);
        if (existing) {
          throw new InputError(
            `machine ${TEMPORARY_MACHINE} exists in ${dbFile} (left by an interrupted run?): remove it with ` +
              `\`schedbench machines remove ${TEMPORARY_MACHINE} --db ${dbFile}\` or pass --machine`,
          );
        }
        machine = store.addWorkerMachine({ name: TEMPORARY_MACHINE, kind: 'local', python: o.python });
        temporary = machine.name;
      }
      const device = await measureDevice(machine, o, progress);
      const dtype = device.loaded.dtype as WorkerDtype;
      const calibration = await calibrate(store, machine, o, dtype, progress);
      const twins = await runTwins(store, machine, o, calibration, dir, progress);
      const { out: _out, db: _db, machine: _machine, ...settings } = o;
      return {
        argv,
        settings,
        startedAt,
        database: { file: dbFile, temporary: dbTemporary },
        machine: {
          name: machine.name,
          description: describeWorkerMachine(machine),
          temporary: temporary !== undefined,
        },
        device,
        calibration: calibration.summary,
        twins,
      };
    } catch (err) {
      // A database fault met mid-report (a full disk, a lock held too long): named, without a stack.
      throw databaseFault(err, store.file);
    } finally {
      try {
        if (temporary !== undefined) store.removeWorkerMachine(temporary);
      } finally {
        store.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
