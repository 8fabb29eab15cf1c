import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IterationRecords } from '../../../runner/engine/run-records.js';
import type { RunResult } from '../../../runner/metrics/run-result.js';
import { InputError } from '../../../runner/errors.js';
import type { NewCalibration } from '../../../runner/store/calibration-row.js';
import { Store } from '../../../runner/store/store.js';
import { StoreStateError } from '../../../runner/store/store-state-error.js';
import type { NewWorkerMachine } from '../../../runner/store/worker-machine-row.js';
import { newSweep, sampleIterations, sampleResult, tempDir } from './fixtures.js';
import { storedElementsSql } from '../../helpers/stored-runs.js';

let file: string;
let store: Store;
let cleanup: () => void;

beforeEach(() => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  file = join(tmp.dir, 'machines.db');
  store = Store.open(file);
});
afterEach(() => {
  store.close();
  cleanup();
});

/** An ssh machine with every setting; `overrides` replace fields. */
function sshMachine(name: string, overrides: Partial<NewWorkerMachine> = {}): NewWorkerMachine {
  return {
    name,
    kind: 'ssh',
    python: '/opt/venv/bin/python',
    host: 'gpu1.example.org',
    user: 'bench',
    port: 2222,
    identityFile: '/home/me/.ssh/id_gpu',
    knownHostsFile: '/home/me/.ssh/known_hosts_gpu',
    strictHostKeyChecking: 'accept-new',
    ...overrides,
  };
}

/** A calibration of Llama-2-7B in float16 on an H100; `overrides` replace fields. */
function calibration(overrides: Partial<NewCalibration> = {}): NewCalibration {
  return {
    machine: 'gpu1',
    model: 'meta-llama/Llama-2-7b-hf',
    dtype: 'float16',
    device: 'cuda:0',
    gpuName: 'NVIDIA H100 80GB HBM3',
    gpuMemoryBytes: 85_045_395_456,
    torch: '2.4.1+cu121',
    python: '3.11.9',
    kvBlocks: 7_281,
    blockSize: 16,
    fit: { kind: 'calibrated', intercept_s: 0.0042 },
    ...overrides,
  };
}

/** The InputError `fn` throws (fails the test when it throws nothing or something else). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

/** Runs `fn` with a second, independent read-write connection to the database file. */
function withRawDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = ON');
    return fn(db);
  } finally {
    db.close();
  }
}

/** Rows of a table counted through a second connection. */
function countRows(table: string): number {
  return withRawDb((db) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number);
}

/** Elements of a struct stored for every run (storedElementsSql), through an independent connection. */
function countElements(struct: 'requests' | 'iterations'): number {
  return withRawDb((db) => (db.prepare(storedElementsSql(struct)).get() as { n: number }).n);
}

/** Typed arrays compared as plain arrays (Object.is per element). */
function plain(struct: IterationRecords): Record<string, number[]> {
  return Object.fromEntries(Object.entries(struct).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)]));
}

describe('worker machines', () => {
  it('adds, gets, lists by name and removes local and ssh machines', () => {
    const local = store.addWorkerMachine({ name: 'workstation', kind: 'local' });
    expect(local).toEqual({
      name: 'workstation',
      kind: 'local',
      python: null,
      host: null,
      user: null,
      port: null,
      identityFile: null,
      knownHostsFile: null,
      strictHostKeyChecking: 'yes',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const ssh = store.addWorkerMachine(sshMachine('gpu1'));
    expect(ssh).toMatchObject({ ...sshMachine('gpu1'), createdAt: expect.any(String) });
    const minimal = store.addWorkerMachine({ name: 'a100', kind: 'ssh', host: '10.0.0.7', user: 'root' });
    expect(minimal).toMatchObject({ port: null, identityFile: null, strictHostKeyChecking: 'yes' });

    expect(store.getWorkerMachine('gpu1')).toEqual(ssh);
    expect(store.getWorkerMachine('GPU1')).toBeUndefined();
    expect(store.listWorkerMachines().map((m) => m.name)).toEqual(['a100', 'gpu1', 'workstation']);

    expect(store.removeWorkerMachine('gpu1')).toBe(true);
    expect(store.removeWorkerMachine('gpu1')).toBe(false);
    expect(store.getWorkerMachine('gpu1')).toBeUndefined();
    expect(store.listWorkerMachines().map((m) => m.name)).toEqual(['a100', 'workstation']);
    // The name is free again.
    expect(store.addWorkerMachine(sshMachine('gpu1', { port: null })).port).toBeNull();
  });

  it('refuses a taken name, saying how to remove the machine, and keeps the first', () => {
    const first = store.addWorkerMachine(sshMachine('gpu1'));
    const error = inputError(() => store.addWorkerMachine({ name: 'gpu1', kind: 'local' }));
    expect(error.message).toBe(
      'machine "gpu1" already exists; remove it first with `schedbench machines remove gpu1`',
    );
    expect(error.location).toEqual({ field: 'name' });
    expect(store.listWorkerMachines()).toEqual([first]);
  });

  it('refuses names that are empty or hold a slash, a colon or whitespace, naming the field', () => {
    for (const name of ['', 'a/b', 'gpu:1', 'gpu 1', 'gpu\t1', 'gpu1\n', '\u00a0gpu', 'gpu\u3000x']) {
      const error = inputError(() => store.addWorkerMachine({ name, kind: 'local' }));
      expect(error.message).toBe(
        `machine name ${JSON.stringify(name)} is invalid: it must be non-empty and contain no '/', ':' or whitespace`,
      );
      expect(error.location.field).toBe('name');
    }
    expect(store.addWorkerMachine({ name: 'h100-80GB_node.7', kind: 'local' }).name).toBe('h100-80GB_node.7');
    expect(store.listWorkerMachines()).toHaveLength(1);
  });

  it('refuses invalid ssh settings and ssh settings on a local machine, naming the field', () => {
    const cases: [NewWorkerMachine, string, string][] = [
      [sshMachine('g', { host: null }), 'host', 'machine "g": an ssh machine needs a host'],
      [sshMachine('g', { host: undefined }), 'host', 'machine "g": an ssh machine needs a host'],
      [sshMachine('g', { user: null }), 'user', 'machine "g": an ssh machine needs a user'],
      [sshMachine('g', { host: '' }), 'host', 'machine "g": host must be a non-empty string'],
      [sshMachine('g', { host: 'gpu 1' }), 'host', 'machine "g": host "gpu 1" must not contain whitespace'],
      [
        sshMachine('g', { user: 'a@b' }),
        'user',
        `machine "g": user "a@b" must not contain whitespace or '@'`,
      ],
      [sshMachine('g', { port: 0 }), 'port', 'machine "g": port 0 must be an integer from 1 to 65535'],
      [
        sshMachine('g', { port: 65536 }),
        'port',
        'machine "g": port 65536 must be an integer from 1 to 65535',
      ],
      [sshMachine('g', { port: 22.5 }), 'port', 'machine "g": port 22.5 must be an integer from 1 to 65535'],
      [sshMachine('g', { python: '' }), 'python', 'machine "g": python must be a non-empty string'],
      [
        sshMachine('g', { identityFile: '' }),
        'identityFile',
        'machine "g": identityFile must be a non-empty string',
      ],
      [
        sshMachine('g', { strictHostKeyChecking: 'maybe' as 'no' }),
        'strictHostKeyChecking',
        'machine "g": strictHostKeyChecking must be "yes", "accept-new" or "no", not "maybe"',
      ],
      [
        { name: 'g', kind: 'remote' as 'ssh' },
        'kind',
        'machine "g": kind must be "local" or "ssh", not "remote"',
      ],
      [
        { name: 'g', kind: 'local', host: 'gpu1' },
        'host',
        'machine "g": host is only for ssh machines; a local machine has none',
      ],
      [
        { name: 'g', kind: 'local', port: 22 },
        'port',
        'machine "g": port is only for ssh machines; a local machine has none',
      ],
      [
        { name: 'g', kind: 'local', knownHostsFile: '/k' },
        'knownHostsFile',
        'machine "g": knownHostsFile is only for ssh machines; a local machine has none',
      ],
      [
        { name: 'g', kind: 'local', strictHostKeyChecking: 'no' },
        'strictHostKeyChecking',
        'machine "g": strictHostKeyChecking is only for ssh machines; a local machine has none',
      ],
    ];
    for (const [machine, field, message] of cases) {
      const error = inputError(() => store.addWorkerMachine(machine));
      expect(error.message).toBe(message);
      expect(error.location).toEqual({ field });
    }
    expect(store.listWorkerMachines()).toEqual([]);
    // Valid edge values pass.
    expect(store.addWorkerMachine(sshMachine('p1', { port: 1 })).port).toBe(1);
    expect(store.addWorkerMachine(sshMachine('p2', { port: 65535, host: 'fe80::1' })).host).toBe('fe80::1');
    expect(store.addWorkerMachine({ name: 'l', kind: 'local', python: '/usr/bin/python3.12' }).python).toBe(
      '/usr/bin/python3.12',
    );
  });

  it('has database CHECKs that refuse what addWorkerMachine refuses', () => {
    withRawDb((db) => {
      const insert = db.prepare(
        'INSERT INTO worker_machines (name, kind, python, host, user, port, identity_file, known_hosts_file, ' +
          "strict_host_key_checking, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, 'yes'), ?)",
      );
      const row = (patch: Record<string, unknown>): unknown[] => {
        const r: Record<string, unknown> = {
          name: 'x',
          kind: 'ssh',
          python: null,
          host: 'h',
          user: 'u',
          port: null,
          identity: null,
          knownHosts: null,
          strict: null,
          created: '2025-01-01T00:00:00.000Z',
          ...patch,
        };
        return [
          r.name,
          r.kind,
          r.python,
          r.host,
          r.user,
          r.port,
          r.identity,
          r.knownHosts,
          r.strict,
          r.created,
        ];
      };
      const refused: Record<string, unknown>[] = [
        { name: '' },
        { name: 'a/b' },
        { name: 'a:b' },
        { name: 'a b' },
        { name: 'a\tb' },
        { name: 'a\u00a0b' },
        { name: 'a\u2028b' },
        { name: 'a\ufeffb' },
        { kind: 'remote' },
        { host: null },
        { user: null },
        { host: '' },
        { port: 0 },
        { port: 65536 },
        { port: 22.5 },
        { python: '' },
        { strict: 'maybe' },
        { kind: 'local', host: null, user: 'u' },
        { kind: 'local', host: 'h', user: null },
        { kind: 'local', host: null, user: null, port: 22 },
        { kind: 'local', host: null, user: null, identity: '/id' },
        { kind: 'local', host: null, user: null, knownHosts: '/kh' },
        { kind: 'local', host: null, user: null, strict: 'no' },
      ];
      for (const patch of refused) {
        expect(() => insert.run(row(patch)), JSON.stringify(patch)).toThrow(/CHECK constraint failed/);
      }
      expect(() => insert.run(row({ name: null }))).toThrow(
        /NOT NULL constraint failed: worker_machines\.name/,
      );
      expect(() => insert.run(row({ created: null }))).toThrow(/NOT NULL constraint failed/);
      // The same columns with valid values are accepted, and the Store reads them.
      insert.run(row({ name: 'raw-ssh', port: 22 }));
      insert.run(row({ name: 'raw-local', kind: 'local', host: null, user: null }));
      expect(() => insert.run(row({ name: 'raw-ssh' }))).toThrow(/UNIQUE constraint failed|PRIMARY KEY/);
    });
    expect(store.getWorkerMachine('raw-ssh')).toMatchObject({
      kind: 'ssh',
      port: 22,
      strictHostKeyChecking: 'yes',
    });
    expect(store.listWorkerMachines().map((m) => m.name)).toEqual(['raw-local', 'raw-ssh']);
  });
});

describe('calibrations', () => {
  it('round-trips every field, the fit JSON exactly', () => {
    const fit = {
      kind: 'calibrated',
      knots: [0, 128, 512, 2048, 8192],
      slopes_s_per_token: [1 / 3, 0.1 + 0.2, 1e-300, 5e-324, Number.MAX_VALUE],
      intercept_s: -0.0012345678901234567,
      big: Number.MAX_SAFE_INTEGER,
      nested: { ok: true, missing: null, empty: {}, none: [], 'key with "quotes"': 'Ωμέγα 🚀\n\t\\' },
    };
    const stored = store.addCalibration(calibration({ fit }));
    expect(stored).toEqual({
      ...calibration({ fit }),
      id: expect.any(Number),
      createdAt: expect.any(String),
    });
    expect(stored.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(store.listCalibrations()).toEqual([stored]);
    expect(store.latestCalibration('gpu1', 'meta-llama/Llama-2-7b-hf')).toEqual(stored);
    const read = store.listCalibrations('gpu1')[0].fit;
    expect(read).toEqual(fit);
    expect(JSON.stringify(read)).toBe(JSON.stringify(fit));
    expect(
      withRawDb((db) => db.prepare('SELECT fit_json FROM calibrations WHERE id = ?').pluck().get(stored.id)),
    ).toBe(JSON.stringify(fit));

    const cpu = store.addCalibration(calibration({ device: 'cpu', gpuName: null, gpuMemoryBytes: null }));
    expect(store.listCalibrations()[0]).toEqual(cpu);
    expect(cpu).toMatchObject({ gpuName: null, gpuMemoryBytes: null });
  });

  it('picks the newest calibration (createdAt, then id), filtered by machine, model and dtype', () => {
    expect(store.latestCalibration('gpu1', 'meta-llama/Llama-2-7b-hf')).toBeUndefined();
    const a = store.addCalibration(calibration({ fit: { n: 'a' } }));
    const b = store.addCalibration(calibration({ fit: { n: 'b' }, dtype: 'bfloat16' }));
    const c = store.addCalibration(calibration({ fit: { n: 'c' } }));
    store.addCalibration(calibration({ fit: { n: 'other machine' }, machine: 'gpu2' }));
    store.addCalibration(calibration({ fit: { n: 'other model' }, model: 'opt-13b' }));
    // Same-millisecond timestamps are possible: give them distinct, known ones.
    withRawDb((db) => {
      const setTime = db.prepare('UPDATE calibrations SET created_at = ? WHERE id = ?');
      setTime.run('2025-03-01T00:00:00.000Z', a.id);
      setTime.run('2025-02-01T00:00:00.000Z', b.id);
      setTime.run('2025-01-01T00:00:00.000Z', c.id);
    });
    const model = 'meta-llama/Llama-2-7b-hf';
    expect(store.latestCalibration('gpu1', model)?.fit).toEqual({ n: 'a' });
    expect(store.latestCalibration('gpu1', model, 'float16')?.fit).toEqual({ n: 'a' });
    expect(store.latestCalibration('gpu1', model, 'bfloat16')?.fit).toEqual({ n: 'b' });
    expect(store.latestCalibration('gpu1', model, 'float32')).toBeUndefined();
    expect(store.latestCalibration('gpu2', model)?.fit).toEqual({ n: 'other machine' });
    expect(store.latestCalibration('gpu3', model)).toBeUndefined();
    expect(store.listCalibrations('gpu1').map((x) => x.fit.n)).toEqual(['other model', 'a', 'b', 'c']);
    expect(store.listCalibrations().map((x) => x.fit.n)).toEqual([
      'other model',
      'other machine',
      'a',
      'b',
      'c',
    ]);
    expect(store.listCalibrations('nope')).toEqual([]);

    // Equal timestamps: the higher id (stored later) wins.
    withRawDb((db) => db.prepare("UPDATE calibrations SET created_at = '2025-03-01T00:00:00.000Z'").run());
    expect(store.latestCalibration('gpu1', model, 'float16')?.id).toBe(c.id);
    expect(store.listCalibrations('gpu1').map((x) => x.fit.n)).toEqual(['other model', 'c', 'b', 'a']);
  });

  it('finds the latest calibration through the (machine, model, created_at) index', () => {
    const plan = withRawDb((db) =>
      db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT * FROM calibrations WHERE machine = ? AND model = ? ' +
            'ORDER BY created_at DESC, id DESC LIMIT 1',
        )
        .all('gpu1', 'm')
        .map((r) => (r as { detail: string }).detail)
        .join('\n'),
    );
    expect(plan).toContain('calibrations_latest');
  });

  it('keeps calibrations when their machine is removed', () => {
    store.addWorkerMachine(sshMachine('gpu1'));
    const cal = store.addCalibration(calibration());
    expect(store.removeWorkerMachine('gpu1')).toBe(true);
    expect(store.listCalibrations('gpu1')).toEqual([cal]);
  });

  it('refuses invalid calibrations, naming the field, and stores nothing', () => {
    const what = 'calibration of "meta-llama/Llama-2-7b-hf" on machine "gpu1"';
    const cases: [Partial<NewCalibration>, string][] = [
      [{ model: '' }, 'calibration of "" on machine "gpu1": model must be a non-empty string, not ""'],
      [{ torch: undefined as unknown as string }, `${what}: torch must be a non-empty string, not undefined`],
      [{ kvBlocks: 0 }, `${what}: kvBlocks 0 must be a positive integer`],
      [{ blockSize: 16.5 }, `${what}: blockSize 16.5 must be a positive integer`],
      [{ gpuMemoryBytes: -1 }, `${what}: gpuMemoryBytes -1 must be a positive integer or null`],
      [{ gpuName: 7 as unknown as string }, `${what}: gpuName must be a string or null`],
      [{ fit: [1, 2] as unknown as Record<string, unknown> }, `${what}: fit must be a JSON object`],
      [{ fit: null as unknown as Record<string, unknown> }, `${what}: fit must be a JSON object`],
      [{ fit: { a: { b: [1, NaN] } } }, `${what}: fit.a.b[1] is NaN; JSON numbers must be finite`],
      [{ fit: { x: Infinity } }, `${what}: fit.x is Infinity; JSON numbers must be finite`],
      [{ fit: { x: undefined } }, `${what}: fit.x is undefined; it is not a JSON value`],
      [{ fit: { at: new Date(0) } }, `${what}: fit.at is a Date; only plain objects are JSON`],
      [{ fit: { n: 1n } }, `${what}: fit.n is a bigint; it is not a JSON value`],
      // eslint-disable-next-line no-sparse-arrays
      [{ fit: { holes: [1, , 3] } }, `${what}: fit.holes[1] is a hole; arrays must be dense`],
    ];
    for (const [patch, message] of cases) {
      expect(() => store.addCalibration(calibration(patch))).toThrow(new Error(message));
    }
    expect(store.listCalibrations()).toEqual([]);
  });

  it('has database CHECKs on the counts and the fit JSON', () => {
    withRawDb((db) => {
      const insert = db.prepare(
        'INSERT INTO calibrations (machine, model, dtype, device, gpu_name, gpu_memory_bytes, torch, python, ' +
          "kv_blocks, block_size, fit_json, created_at) VALUES ('gpu1', 'm', 'float16', 'cuda:0', NULL, ?, " +
          "'2.4', '3.11', ?, ?, ?, '2025-01-01T00:00:00.000Z')",
      );
      expect(() => insert.run(null, 0, 16, '{}')).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(null, 10, 0, '{}')).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(null, 10.5, 16, '{}')).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(0, 10, 16, '{}')).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(null, 10, 16, '[1]')).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(null, 10, 16, 'not json')).toThrow();
      expect(() => insert.run(null, 10, 16, null)).toThrow(/NOT NULL constraint failed/);
      insert.run(80e9, 10, 16, '{"a": 1}');
    });
    expect(store.listCalibrations()).toMatchObject([{ gpuMemoryBytes: 80e9, kvBlocks: 10, fit: { a: 1 } }]);
  });
});

describe('run iterations', () => {
  let sweepId: number;
  let runIds: number[];

  beforeEach(() => {
    sweepId = store.createSweep(newSweep());
    runIds = store.listRuns({ sweepId }).map((r) => r.id);
  });

  /** A small result with `n` measured iterations. */
  function gpuResult(n: number): RunResult {
    return { ...sampleResult(20, 5), iterations: sampleIterations(n) };
  }

  it('round-trips the iterations of a worker run through completeRun and getIterations exactly', () => {
    const [id] = runIds;
    const result = gpuResult(300);
    expect(result.iterations!.timeS[1]).toBe(5e-324);
    store.markRunning(id);
    store.completeRun(id, result);
    const read = store.getIterations(id)!;
    expect(read.startS).toBeInstanceOf(Float64Array);
    expect(read.numDecodes).toBeInstanceOf(Int32Array);
    expect(Object.keys(read).sort()).toEqual(Object.keys(result.iterations!).sort());
    expect(plain(read)).toEqual(plain(result.iterations!));
    expect(read.timeS[2]).toBe(1e300);
    expect(read.wallS[0]).toBe(result.iterations!.wallS[0]);
    expect(countElements('iterations')).toBe(300);
    // The rest of the result is stored as before.
    expect(store.getRequestRecords(id).arrival.length).toBe(20);
    expect(store.getRun(id)?.status).toBe('done');
  });

  it('has no iterations for a simulated run, and none to read before a run is done', () => {
    const [a, b] = runIds;
    store.completeRun(a, sampleResult(10, 3));
    expect(store.getIterations(a)).toBeUndefined();
    store.completeRun(b, gpuResult(0));
    expect(store.getIterations(b)).toBeUndefined();
    expect(() => store.getIterations(runIds[2])).toThrow(
      new StoreStateError(`run ${runIds[2]} is queued and has no stored results; only done runs have`),
    );
    expect(() => store.getIterations(424242)).toThrow(new StoreStateError('run 424242 does not exist'));
  });

  it('rejects malformed iterations without storing any of the result', () => {
    const [id] = runIds;
    store.markRunning(id);
    const good = gpuResult(100);
    const withIterations = (patch: Partial<IterationRecords>): RunResult => ({
      ...good,
      iterations: { ...good.iterations!, ...patch },
    });
    const timeS = good.iterations!.timeS.slice();
    timeS[99] = NaN;
    expect(() => store.completeRun(id, withIterations({ timeS }))).toThrow(
      `run ${id}: iterations.timeS[99] is NaN; it must be a number >= 0 (NaN, "never happened", is not allowed here)`,
    );
    const startS = good.iterations!.startS.slice();
    startS[0] = NaN;
    expect(() => store.completeRun(id, withIterations({ startS }))).toThrow(
      `run ${id}: iterations.startS[0] is NaN; it must be a number (NaN, "never happened", is not allowed here)`,
    );
    const wallS = good.iterations!.wallS.slice();
    wallS[10] = -1e-9;
    expect(() => store.completeRun(id, withIterations({ wallS }))).toThrow(
      `run ${id}: iterations.wallS[10] is -1e-9; it must be >= 0`,
    );
    const numDecodes = good.iterations!.numDecodes.slice();
    numDecodes[70] = -1;
    expect(() => store.completeRun(id, withIterations({ numDecodes }))).toThrow(
      `run ${id}: iterations.numDecodes[70] is -1; it must be >= 0`,
    );
    expect(() =>
      store.completeRun(id, withIterations({ prefillTokens: good.iterations!.prefillTokens.subarray(1) })),
    ).toThrow(
      `run ${id}: iterations.prefillTokens has 99 entries but iterations.startS has 100; all arrays must have the same length`,
    );
    expect(() =>
      store.completeRun(id, withIterations({ numPrefills: new Float64Array(100) as unknown as Int32Array })),
    ).toThrow(`run ${id}: iterations.numPrefills must be a Int32Array`);
    expect(() => store.completeRun(id, { ...good, iterations: null as unknown as IterationRecords })).toThrow(
      `run ${id}: iterations must be an IterationRecords object or absent`,
    );

    expect(store.getRun(id)).toMatchObject({ status: 'running', metrics: null });
    expect(countRows('run_columns')).toBe(0);
    expect(countRows('run_metrics')).toBe(0);
    store.completeRun(id, good);
    expect(plain(store.getIterations(id)!)).toEqual(plain(good.iterations!));
  });

  it('has database CHECKs on the stored columns', () => {
    const [id] = runIds;
    store.completeRun(id, gpuResult(1));
    withRawDb((db) => {
      const insert = db.prepare(
        'INSERT INTO run_columns (run_id, struct, column_name, length, codec, data) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const blob = Buffer.from([1, 2, 3]);
      const codec = 'f64-shuffle-deflate';
      expect(() => insert.run(id, 'other', 'x', 1, codec, blob)).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(id, 'iterations', '', 1, codec, blob)).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(id, 'iterations', 'x', -1, codec, blob)).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(id, 'iterations', 'x', 1.5, codec, blob)).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(id, 'iterations', 'x', 1, codec, 'text')).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(id, 'iterations', 'x', 1, codec, null)).toThrow(/NOT NULL constraint failed/);
      expect(() => insert.run(id, 'iterations', 'time_s', 1, codec, blob)).toThrow(
        /UNIQUE constraint failed|PRIMARY KEY/,
      );
      expect(() => insert.run(999_999, 'iterations', 'x', 1, codec, blob)).toThrow(
        /FOREIGN KEY constraint failed/,
      );
    });
  });

  it('are deleted with their sweep', () => {
    const [a, b] = runIds;
    store.completeRun(a, gpuResult(70));
    store.completeRun(b, gpuResult(5));
    const other = store.createSweep(newSweep({ specHash: 'hash-2' }));
    const [otherRun] = store.listRuns({ sweepId: other }).map((r) => r.id);
    store.completeRun(otherRun, gpuResult(3));
    expect(countElements('iterations')).toBe(78);

    expect(store.deleteSweep(sweepId)).toBe(true);
    expect(countElements('iterations')).toBe(3);
    expect(plain(store.getIterations(otherRun)!)).toEqual(plain(sampleIterations(3)));
  });
});

describe('a reopened database', () => {
  it('keeps machines, calibrations and run iterations', () => {
    const machines = [
      store.addWorkerMachine({ name: 'workstation', kind: 'local', python: '/opt/py/bin/python' }),
      store.addWorkerMachine(sshMachine('gpu1')),
    ];
    const calibrations = [
      store.addCalibration(calibration()),
      store.addCalibration(calibration({ dtype: 'bfloat16', fit: { nested: [{ a: 0.1 }] } })),
    ];
    const sweepId = store.createSweep(newSweep());
    const [runId] = store.listRuns({ sweepId }).map((r) => r.id);
    store.completeRun(runId, { ...sampleResult(4, 2), iterations: sampleIterations(130) });
    store.close();

    store = Store.open(file);
    expect(store.listWorkerMachines()).toEqual([machines[1], machines[0]]); // gpu1, workstation
    expect(store.listCalibrations()).toEqual([...calibrations].sort((x, y) => y.id - x.id));
    expect(store.latestCalibration('gpu1', 'meta-llama/Llama-2-7b-hf', 'bfloat16')).toEqual(calibrations[1]);
    expect(plain(store.getIterations(runId)!)).toEqual(plain(sampleIterations(130)));
  });
});
