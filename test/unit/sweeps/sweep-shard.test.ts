import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { mergeShard } from '../../../runner/store/merge-shard.js';
import { Store } from '../../../runner/store/store.js';
import { stableJson } from '../../../runner/stable-json.js';
import { executeSweep, newRunOf, sweepMachineDocument } from '../../../runner/sweeps/sweep-executor.js';
import { planSweep, type SweepPlan } from '../../../runner/sweeps/sweep-plan.js';
import {
  readShardManifest,
  runShard,
  shardFileOf,
  type ShardManifest,
} from '../../../runner/sweeps/sweep-shard.js';

// Sweeps on a cluster (issue 16): each task of a job array executes some runs into its own SQLite
// shard (runShard), and the driver merges the shards into the sweep's database (mergeShard). The
// merged sweep must hold exactly what executing it in one process stores.

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

let root: string;
let plan: SweepPlan;
/** Database A: the sweep executed locally, in one process (the reference). */
let reference: Store;
let referenceSweep: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'schedbench-shard-'));
  cleanup.push(root);
  const spec = join(root, 'shard.yaml');
  writeFileSync(
    spec,
    [
      'name: shard',
      'machine: a100-llama2-7b',
      'requests: 300',
      'seeds: [1, 2, 3]',
      'workloads:',
      '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }] }',
      'policies: [{ policy: vllm }, { policy: fcfs }]',
      '',
    ].join('\n'),
  );
  plan = planSweep(spec);
  reference = Store.open(join(root, 'a.db'));
  const outcome = await executeSweep(plan, reference, { jobs: 1 });
  expect(outcome).toMatchObject({ done: 6, failed: 0, cancelled: false });
  referenceSweep = outcome.sweepId;
});
afterAll(() => reference.close());

/** Stores the plan's sweep in a new database, every run queued, as a driver does before submitting. */
function storeSweep(file: string, runs = plan.runs): { store: Store; sweepId: number } {
  const store = Store.open(file);
  const sweepId = store.createSweep({
    name: plan.spec.name,
    specYaml: plan.specYaml,
    specJson: stableJson(plan.spec),
    specHash: plan.specHash,
    specPath: plan.specPath,
    machineJson: stableJson(sweepMachineDocument(plan)),
    runs: runs.map((r) => newRunOf(plan, r)),
  });
  return { store, sweepId };
}

/** Writes a manifest of 3 tasks of 2 runs each in a new folder; returns its path. */
function writeManifest(name: string, sweepId: number, edit: Partial<ShardManifest> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const keys = plan.runs.map((r) => r.runKey);
  const manifest: ShardManifest = {
    version: 1,
    sweepId,
    specYaml: plan.specYaml,
    specPath: plan.specPath,
    specDir: plan.dir,
    specHash: plan.specHash,
    tasks: [keys.slice(0, 2), keys.slice(2, 4), keys.slice(4, 6)],
    ...edit,
  };
  const file = join(dir, 'manifest.json');
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

/** The raw `run_metrics` row and result rows of a run (without its id), by run key. */
function storedRows(store: Store, sweepId: number, runKey: string) {
  const db = new Database(store.file, { readonly: true });
  try {
    const id = db
      .prepare('SELECT id FROM runs WHERE sweep_id = ? AND run_key = ?')
      .pluck()
      .get(sweepId, runKey);
    const rows = (table: string): unknown[] =>
      (db.prepare(`SELECT * FROM ${table} WHERE run_id = ? ORDER BY 1, 2, 3`).all(id) as object[]).map(
        ({ run_id: _, ...rest }: { run_id?: number }) => rest,
      );
    return {
      metrics: db
        .prepare('SELECT metrics_json, stable, stability_json FROM run_metrics WHERE run_id = ?')
        .get(id) as { metrics_json: string; stable: number | null; stability_json: string | null },
      columns: rows('run_columns'),
      digest: rows('run_digests'),
    };
  } finally {
    db.close();
  }
}

/** Metrics JSON without the wall time of the simulation (which differs between executions). */
function withoutWallTime(metricsJson: string): Record<string, unknown> {
  return { ...(JSON.parse(metricsJson) as Record<string, unknown>), sim_wall_s: 0, sim_cpu_s: 0 };
}

describe('readShardManifest and shardFileOf', () => {
  it('reads a manifest and names the shard of a task next to it', () => {
    const file = writeManifest('read', 7);
    const manifest = readShardManifest(file);
    expect(manifest.sweepId).toBe(7);
    expect(manifest.tasks.flat()).toEqual(plan.runs.map((r) => r.runKey));
    expect(shardFileOf(file, 2)).toBe(join(root, 'read', 'shard-2.db'));
  });

  it('refuses a bad manifest naming the file and the field', () => {
    const dir = join(root, 'bad');
    mkdirSync(dir);
    const file = join(dir, 'manifest.json');
    writeFileSync(file, JSON.stringify({ ...readShardManifest(writeManifest('good', 1)), tasks: [[42]] }));
    expect(() => readShardManifest(file)).toThrow(InputError);
    expect(() => readShardManifest(file)).toThrow(`${file}: bad shard manifest: tasks.0.0:`);
    writeFileSync(file, '{"version": 1,');
    expect(() => readShardManifest(file)).toThrow(`${file}: not a JSON shard manifest`);
    writeFileSync(file, JSON.stringify({ ...readShardManifest(writeManifest('good2', 1)), extra: 1 }));
    expect(() => readShardManifest(file)).toThrow('unknown field "extra"');
  });
});

describe('runShard and mergeShard', () => {
  it('three shards merged give every run the results executing the sweep in one process gives', async () => {
    const { store, sweepId } = storeSweep(join(root, 'b.db'));
    try {
      const manifest = writeManifest('full', sweepId);
      const tasks = readShardManifest(manifest).tasks;
      for (let task = 0; task < 3; task++) {
        const outcome = await runShard(manifest, task, { jobs: 1 });
        expect(outcome).toEqual({ done: 2, failed: 0, file: shardFileOf(manifest, task), cancelled: false });
        // The shard holds one sweep, with the spec's hash, whose runs are the task's.
        const shard = Store.open(outcome.file, { readonly: true });
        try {
          const sweeps = shard.listSweeps();
          expect(sweeps.map((s) => s.specHash)).toEqual([plan.specHash]);
          const runs = shard.listRuns({ sweepId: sweeps[0].id });
          expect(runs.map((r) => r.runKey).sort()).toEqual([...tasks[task]].sort());
          expect(runs.every((r) => r.status === 'done')).toBe(true);
        } finally {
          shard.close();
        }
      }
      expect(store.runCounts(sweepId).queued).toBe(6);

      for (let task = 0; task < 3; task++) {
        expect(mergeShard(store, sweepId, shardFileOf(manifest, task))).toEqual({
          merged: 2,
          alreadyDone: 0,
          notDone: 0,
        });
      }
      expect(store.runCounts(sweepId)).toMatchObject({ done: 6, queued: 0, running: 0, failed: 0 });

      const shardSweep = (task: number): number => {
        const shard = Store.open(shardFileOf(manifest, task), { readonly: true });
        const id = shard.listSweeps()[0].id;
        shard.close();
        return id;
      };
      for (const [task, keys] of tasks.entries()) {
        const shard = Store.open(shardFileOf(manifest, task), { readonly: true });
        try {
          for (const key of keys) {
            const merged = storedRows(store, sweepId, key);
            const executed = storedRows(shard, shardSweep(task), key);
            const local = storedRows(reference, referenceSweep, key);
            // Byte for byte the shard's results...
            expect(merged).toEqual(executed);
            // ...which are the reference's, but for the wall time the simulation took.
            expect(withoutWallTime(merged.metrics.metrics_json)).toEqual(
              withoutWallTime(local.metrics.metrics_json),
            );
            expect(merged.metrics.stable).toBe(local.metrics.stable);
            expect(merged.metrics.stability_json).toBe(local.metrics.stability_json);
            // The encoded columns (11 of requests, 6 of the time series, none of iterations) and
            // the digest, blob for blob.
            expect(merged.columns).toEqual(local.columns);
            expect(merged.columns).toHaveLength(17);
            expect(merged.digest).toEqual(local.digest);
            expect(merged.digest).toHaveLength(1);
            expect(
              store.getRequestRecords(store.listRuns({ sweepId }).find((r) => r.runKey === key)!.id).arrival,
            ).toHaveLength(300);
            // Read back through the Store as any report does.
            const [run] = store.listRuns({ sweepId }).filter((r) => r.runKey === key);
            const [ref] = reference.listRuns({ sweepId: referenceSweep }).filter((r) => r.runKey === key);
            expect(run.warnings).toEqual(ref.warnings);
            expect(store.getRequestRecords(run.id)).toEqual(reference.getRequestRecords(ref.id));
            expect(store.getTimeSeries(run.id)).toEqual(reference.getTimeSeries(ref.id));
            expect(run.finishedAt).not.toBeNull();
          }
        } finally {
          shard.close();
        }
      }

      // Merging a shard again changes nothing.
      const before = storedRows(store, sweepId, tasks[0][0]);
      expect(mergeShard(store, sweepId, shardFileOf(manifest, 0))).toEqual({
        merged: 0,
        alreadyDone: 2,
        notDone: 0,
      });
      expect(storedRows(store, sweepId, tasks[0][0])).toEqual(before);
    } finally {
      store.close();
    }
  });

  it('a run a killed task did not finish stays queued; the task run again completes it', async () => {
    const { store, sweepId } = storeSweep(join(root, 'c.db'));
    try {
      const manifest = writeManifest('killed', sweepId);
      const [first, second] = readShardManifest(manifest).tasks[1];
      await runShard(manifest, 1);
      // As if the task were killed while its second run simulated: queued, no results.
      const shard = new Database(shardFileOf(manifest, 1));
      const runId = shard.prepare('SELECT id FROM runs WHERE run_key = ?').pluck().get(second) as number;
      for (const table of ['run_metrics', 'run_columns', 'run_digests']) {
        shard.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
      }
      shard
        .prepare(
          "UPDATE runs SET status = 'queued', started_at = NULL, finished_at = NULL, warnings_json = NULL WHERE id = ?",
        )
        .run(runId);
      shard.close();

      expect(mergeShard(store, sweepId, shardFileOf(manifest, 1))).toEqual({
        merged: 1,
        alreadyDone: 0,
        notDone: 1,
      });
      const status = (key: string) => store.listRuns({ sweepId }).find((r) => r.runKey === key)?.status;
      expect(status(first)).toBe('done');
      expect(status(second)).toBe('queued');
      expect(storedRows(store, sweepId, second).metrics).toBeUndefined();
      expect(store.runCounts(sweepId)).toMatchObject({ done: 1, queued: 5 });

      // The task run again resumes: only the unfinished run executes.
      const outcome = await runShard(manifest, 1);
      expect(outcome).toMatchObject({ done: 2, failed: 0 });
      expect(mergeShard(store, sweepId, shardFileOf(manifest, 1))).toEqual({
        merged: 1,
        alreadyDone: 1,
        notDone: 0,
      });
      expect(status(second)).toBe('done');
      const local = storedRows(reference, referenceSweep, second);
      expect(storedRows(store, sweepId, second).columns).toEqual(local.columns);
    } finally {
      store.close();
    }
  });

  it('refuses a manifest whose spec now plans another sweep', async () => {
    const manifest = writeManifest('hash', 1, { specHash: '0'.repeat(64) });
    const error = await runShard(manifest, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /now plans another sweep .*changed since the sweep was submitted/,
    );
    expect((error as InputError).location).toMatchObject({ file: manifest, field: 'specHash' });
  });

  it('refuses a task with a run key that is not a planned run, and a task that does not exist', async () => {
    const keys = plan.runs.map((r) => r.runKey);
    const manifest = writeManifest('key', 1, { tasks: [[keys[0], 'f'.repeat(24)]] });
    const error = await runShard(manifest, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(`tasks.0.1: run key ${'f'.repeat(24)} is not a planned run`);
    expect((error as Error).message).toContain('capacity-search probes cannot be sharded');
    await expect(runShard(manifest, 1)).rejects.toThrow('no task 1: the manifest has tasks 0 to 0');
  });

  it('refuses a shard with a run the sweep does not have, or of another spec, merging nothing', async () => {
    // A sweep with the first 4 runs only: the shard of task 2 holds runs 5 and 6.
    const { store, sweepId } = storeSweep(join(root, 'd.db'), plan.runs.slice(0, 4));
    try {
      const manifest = writeManifest('foreign', sweepId);
      await runShard(manifest, 2);
      const shard = shardFileOf(manifest, 2);
      expect(() => mergeShard(store, sweepId, shard)).toThrow(InputError);
      expect(() => mergeShard(store, sweepId, shard)).toThrow(
        `${shard}: its run 1 has run key ${plan.runs[4].runKey}, which is not a run of sweep ${sweepId}`,
      );
      expect(store.runCounts(sweepId)).toMatchObject({ done: 0, queued: 4 });

      // The reference database's sweep has the same spec hash; another spec's sweep does not.
      const other = Store.open(join(root, 'e.db'));
      try {
        const otherSweep = other.createSweep({
          name: 'other',
          specYaml: 'other',
          specJson: '{}',
          specHash: 'e'.repeat(64),
          specPath: 'other.yaml',
          machineJson: '{}',
          runs: plan.runs.map((r) => newRunOf(plan, r)),
        });
        expect(() => mergeShard(other, otherSweep, shard)).toThrow(/the shard ran another spec/);
        expect(other.runCounts(otherSweep).done).toBe(0);
      } finally {
        other.close();
      }
    } finally {
      store.close();
    }
  });
});
