import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricKey } from '../../runner/metrics/metric-keys.js';
import type { RunRow } from '../../runner/store/run-row.js';
import { Store } from '../../runner/store/store.js';
import { runCli } from '../helpers/cli.js';
import { WORKER_PYTHON, pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

/** Metrics that are null for a run without an SLO (docs/metrics.md, "Goodput and SLO"). */
const SLO_METRICS = new Set(['goodput_rps', 'goodput_tok_s', 'slo_attainment']);

/**
 * `schedbench profile` through the CLI on a local worker (the real Python worker, tiny-llama on
 * CPU): calibrate, list the calibration, simulate a spec on `profile:cpu/tiny-llama`, and compare
 * it with the same spec run GPU-in-the-loop on the worker (KV capacity `auto` from the
 * calibration).
 */
const reason = pythonWorkerSkipReason(['torch'], 'profile calibration tests');

const REF = 'profile:cpu/tiny-llama';
const REQUESTS = 16;
const POLICIES = ['vllm', 'sarathi', 'fcfs'];

/** A run's metric, which must be a finite number. */
function metric(row: RunRow, key: MetricKey): number {
  const value = row.metrics?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`run ${row.id} (${row.policy}): metric ${key} is ${value}`);
  }
  return value;
}

describe.skipIf(reason !== null)('schedbench profile and profile:NAME/MODEL machines (CLI)', () => {
  let dir: string;
  let db: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'schedbench-profile-'));
    db = join(dir, 'profile.db');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A spec file with this machine (a YAML flow value) and a small typed workload. */
  function spec(name: string, machine: string): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `name: ${name}`,
        `machine: ${machine}`,
        `requests: ${REQUESTS}`,
        'seeds: [1]',
        'workloads:',
        '  - name: tiny',
        '    types: [{ prompt: 48, output: 32, rate: 40 }]',
        `policies: [{ policy: vllm }, { policy: sarathi, chunkSize: 64 }, { policy: fcfs }]`,
        '',
      ].join('\n'),
    );
    return file;
  }

  /** Runs a sweep that must succeed; returns its sweep id, machine JSON and runs. */
  function sweep(
    file: string,
    onWorker = false,
  ): { sweepId: number; machine: Record<string, unknown>; runs: RunRow[] } {
    const r = runCli(['sweep', file, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const sweepId = Number(r.stdout.trim().split('\n').at(-1));
    const store = Store.open(db);
    try {
      const machine = JSON.parse(store.getSweep(sweepId)!.machineJson) as Record<string, unknown>;
      const runs = store.listRuns({ sweepId });
      expect(runs.map((row) => [row.policy, row.status, row.error])).toEqual(
        POLICIES.map((p) => [p, 'done', null]),
      );
      for (const row of runs) {
        expect(row.metrics!.completed, row.policy).toBe(REQUESTS);
        for (const [key, value] of Object.entries(row.metrics!)) {
          // The goodput metrics are null without an SLO, which this spec does not set.
          if (SLO_METRICS.has(key)) expect(value, `${row.policy} ${key}`).toBeNull();
          // CPU time of the simulating thread: a run on the worker is not simulated (docs/metrics.md).
          else if (key === 'sim_cpu_s' && onWorker) expect(value, `${row.policy} ${key}`).toBeNull();
          // These policies do not cache prefixes (only vllm-v1 does by default).
          else if (key === 'prefix_cache_hit_rate') expect(value, `${row.policy} ${key}`).toBeNull();
          // One replica: no load imbalance to measure.
          else if (key === 'load_imbalance') expect(value, `${row.policy} ${key}`).toBeNull();
          else expect(Number.isFinite(value), `${row.policy} ${key} = ${value}`).toBe(true);
        }
      }
      return { sweepId, machine, runs };
    } finally {
      store.close();
    }
  }

  it('machines add --local; where nothing asks the worker, kvBlocks auto needs a calibration or a measured size', () => {
    const added = runCli(['machines', 'add', 'cpu', '--local', '--python', WORKER_PYTHON, '--db', db]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`added cpu: local (${WORKER_PYTHON})`);

    // The API (serve, the app) plans without starting workers: it names what is missing and how to
    // get it (`schedbench sweep` asks the worker: test/worker/worker-kv-size.test.ts).
    const file = spec('too-early', '{ worker: cpu, model: tiny-llama }');
    const r = runCli([
      'api',
      'sweeps.validate',
      JSON.stringify({ yaml: readFileSync(file, 'utf8'), dir }),
      '--db',
      db,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; problem: { message: string; field: string | null } };
    expect(out.ok).toBe(false);
    expect(out.problem.message).toMatch(
      /kvBlocks: auto .* "cpu" for "tiny-llama", or the size the worker gave itself, and there is neither/,
    );
    expect(out.problem.message).toContain('schedbench profile cpu --model tiny-llama');
  });

  it('profile: calibrates tiny-llama, reports the fit and the machine to use; list shows it', () => {
    const r = runCli([
      'profile',
      'cpu',
      '--model',
      'tiny-llama',
      '--max-batch-tokens',
      '256',
      '--max-decodes',
      '16',
      '--max-kv-tokens',
      '256',
      '--repeats',
      '2',
      '--warmup',
      '1',
      '--db',
      db,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^cpu: tiny-llama \(float32\) on cpu, \d+ KV blocks; timing \d+ \+ \d+ held-out/m,
    );
    const timed = /(\d+)\/(\d+) shapes timed\s*$/.exec(r.stderr);
    expect(timed?.[1]).toBe(timed?.[2]);

    const linear = /^linear model: d0 = (\S+) s, d1 = (\S+) s per KV token, R\^2 (\S+) over (\d+)/m.exec(
      r.stdout,
    );
    expect(linear, r.stdout).not.toBeNull();
    const [d0, d1] = [Number(linear![1]), Number(linear![2])];
    expect(d0).toBeGreaterThan(0);
    expect(d0).toBeLessThan(1); // tiny-llama on CPU: milliseconds per iteration
    expect(Number.isFinite(d1)).toBe(true);
    const heldOut =
      /^held-out error: calibrated profile (\S+) % mean, (\S+) % max, RMSE (\S+) ms; linear (\S+) % mean/m.exec(
        r.stdout,
      );
    expect(heldOut, r.stdout).not.toBeNull();
    expect(heldOut!.slice(1).map(Number).every(Number.isFinite)).toBe(true);
    expect(r.stdout).toMatch(/calibrated profile\s+held-out\s+\d+/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`use it in a spec as   machine: ${REF}`);

    const listed = runCli(['machines', 'list', '--format', 'json', '--db', db]);
    expect(listed.code, listed.stderr).toBe(0);
    const json = JSON.parse(listed.stdout) as {
      workers: { name: string; kind: string }[];
      calibrations: {
        machine: string;
        model: string;
        machine_ref: string;
        device: string;
        dtype: string;
        kvBlocks: number;
        blockSize: number;
        fit: { linear: { d0: number; d1: number } };
      }[];
    };
    expect(json.workers).toEqual([expect.objectContaining({ name: 'cpu', kind: 'local' })]);
    expect(json.calibrations).toHaveLength(1);
    const [c] = json.calibrations;
    expect(c).toMatchObject({
      machine: 'cpu',
      model: 'tiny-llama',
      machine_ref: REF,
      device: 'cpu',
      dtype: 'float32',
      blockSize: 16,
    });
    expect(c!.kvBlocks).toBeGreaterThan(0);
    // The stored fit is the one printed (to the 4 significant digits printed).
    expect(c!.fit.linear.d0.toPrecision(4)).toBe(linear![1]);
    expect(c!.fit.linear.d1.toPrecision(4)).toBe(linear![2]);

    const table = runCli(['machines', 'list', '--db', db]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(REF);
  });

  it('a spec on profile:cpu/tiny-llama simulates with the fit, close to the same spec run on the worker', () => {
    const simulated = sweep(spec('simulated', REF));
    expect(simulated.machine.name).toBe(REF);
    const store = Store.open(db);
    const calibration = store.latestCalibration('cpu', 'tiny-llama')!;
    try {
      // Simulated: no measured iterations are stored.
      for (const row of simulated.runs) expect(store.getIterations(row.id)).toBeUndefined();
    } finally {
      store.close();
    }
    expect(simulated.machine.kvCapacityBlocks).toBe(calibration.kvBlocks);

    const measured = sweep(spec('measured', '{ worker: cpu, model: tiny-llama }'), true);
    expect(measured.machine.name).toBe('cpu/tiny-llama');
    // kvBlocks auto: the calibration's KV capacity, and its fit as the machine's linear model.
    expect(measured.machine.kvCapacityBlocks).toBe(calibration.kvBlocks);
    expect(measured.machine.worker).toMatchObject({
      machine: 'cpu',
      kvBlocks: calibration.kvBlocks,
      blockSize: calibration.blockSize,
      calibrationId: calibration.id,
    });

    // The fitted model predicts times of the order of those measured: per policy, the makespan
    // and the mean time per iteration are within a factor of ORDER of the GPU-in-the-loop run's.
    // The calibration and the measured run are timed at two moments on a shared 2-core machine
    // where other test files run their own workers: CPU contention alone has made one of them up
    // to 15x slower than the other, so the bound guards against a wrong unit or a wrong model
    // (orders of magnitude), not against noise.
    const ORDER = 25;
    for (const policy of POLICIES) {
      const sim = simulated.runs.find((row) => row.policy === policy)!;
      const real = measured.runs.find((row) => row.policy === policy)!;
      const what = `${policy}: simulated ${metric(sim, 'makespan_s')} s in ${metric(sim, 'iterations')} iterations, measured ${metric(real, 'makespan_s')} s in ${metric(real, 'iterations')}`;
      const makespan = metric(sim, 'makespan_s') / metric(real, 'makespan_s');
      expect(makespan, what).toBeGreaterThan(1 / ORDER);
      expect(makespan, what).toBeLessThan(ORDER);
      const perIteration = (row: RunRow) => metric(row, 'makespan_s') / metric(row, 'iterations');
      const iteration = perIteration(sim) / perIteration(real);
      expect(iteration, what).toBeGreaterThan(1 / ORDER);
      expect(iteration, what).toBeLessThan(ORDER);
    }
  });

  it('profile of an unknown machine exits 2 naming the registered ones', () => {
    const r = runCli(['profile', 'nope', '--model', 'tiny-llama', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown worker machine "nope" (registered: cpu)');
    expect(r.stdout).toBe('');
  });

  it('a spec on a missing calibration exits 2 naming it and the spec file; nothing is stored', () => {
    const before = runCli(['runs', '--format', 'json', '--db', db]);
    const file = spec('missing', 'profile:nope/tiny-llama');
    const r = runCli(['sweep', file, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('no calibration of worker machine "nope" for model "tiny-llama"');
    expect(r.stderr).toContain('schedbench profile nope --model tiny-llama');
    expect(runCli(['runs', '--format', 'json', '--db', db]).stdout).toBe(before.stdout);

    const otherModel = runCli(['sweep', spec('missing-model', 'profile:cpu/llama-2-7b'), '--db', db]);
    expect(otherModel.code).toBe(2);
    expect(otherModel.stderr).toContain('no calibration of worker machine "cpu" for model "llama-2-7b"');
  });
});
