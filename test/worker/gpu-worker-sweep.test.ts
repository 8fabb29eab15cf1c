import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRow } from '../../runner/store/run-row.js';
import { Store } from '../../runner/store/store.js';
import { runCli, startCli } from '../helpers/cli.js';
import {
  freePort,
  loopbackSshdSkipReason,
  startLoopbackSshd,
  type LoopbackSshd,
} from '../helpers/loopback-sshd.js';
import {
  alive,
  argvOf,
  cwdOf,
  descendsFrom,
  goneWithin,
  processesWhere,
  workerPids,
  writeSyscalls,
} from '../helpers/processes.js';
import { WORKER_PYTHON, pythonWorkerSkipReason } from '../helpers/python-worker-env.js';

/**
 * GPU-in-the-loop sweeps through the CLI, on a worker machine reached over a real sshd on
 * 127.0.0.1 (fresh keys, strict host key checking) running the real Python worker with
 * tiny-llama on CPU. The "remote" host is this machine, so its processes are checked locally.
 * The worker code goes to the default remote cache, ~/.cache/schedbench/worker/<hash>.
 */
const reason =
  loopbackSshdSkipReason('GPU worker sweep tests') ??
  pythonWorkerSkipReason(['torch'], 'GPU worker sweep tests');

const MACHINE = 'gpu';

/** The PID of the sshd listener, from its PidFile (written just after it starts listening). */
async function listenerPid(sshd: LoopbackSshd): Promise<number> {
  const file = join(sshd.dir, 'sshd.pid');
  for (const t0 = Date.now(); Date.now() - t0 < 10_000; await sleep(20)) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
  }
  throw new Error(`sshd wrote no ${file}`);
}

describe.skipIf(reason !== null)('GPU-worker sweeps over a loopback sshd (CLI)', () => {
  let sshd: LoopbackSshd;
  /** PID of the sshd listener: every remote worker descends from it while it runs. */
  let sshdPid: number;
  let dir: string;
  let db: string;
  /** Worker processes that existed before this file started any (other test files' workers). */
  let foreignWorkers: Set<number>;

  beforeAll(async () => {
    foreignWorkers = new Set(workerPids());
    sshd = await startLoopbackSshd();
    sshdPid = await listenerPid(sshd);
    expect(alive(sshdPid)).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'schedbench-gpu-sweep-'));
    db = join(dir, 'gpu.db');
  });

  afterAll(async () => {
    // Nothing should be left; if a test failed half-way, do not leave its workers running.
    for (const pid of ourWorkers()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Live workers this file started: new since it began, and either still under our sshd or,
   * once orphaned, running in the default remote code cache (local workers run elsewhere, and the
   * ssh driver tests use a temporary cache).
   */
  function ourWorkers(): number[] {
    const cache = join(homedir(), '.cache/schedbench/worker');
    return workerPids().filter(
      (pid) =>
        !foreignWorkers.has(pid) &&
        (descendsFrom(pid, sshdPid) || (cwdOf(pid)?.startsWith(`${cache}/`) ?? false)),
    );
  }

  /** Live ssh clients that use this sshd's client key (those of this file's commands). */
  function ourSshClients(): number[] {
    return processesWhere((argv) => basename(argv[0]!) === 'ssh' && argv.includes(sshd.identityFile));
  }

  function writeSpec(name: string, lines: string[]): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, [`name: ${name}`, ...lines, ''].join('\n'));
    return file;
  }

  function withStore<T>(f: (store: Store) => T): T {
    const store = Store.open(db);
    try {
      return f(store);
    } finally {
      store.close();
    }
  }

  it('machines add --ssh, check (hello over ssh) and list --format json', () => {
    const added = runCli([
      'machines',
      'add',
      MACHINE,
      '--ssh',
      `${sshd.user}@${sshd.host}`,
      '--port',
      String(sshd.port),
      '--identity',
      sshd.identityFile,
      '--known-hosts',
      sshd.knownHostsFile,
      '--python',
      WORKER_PYTHON,
      '--db',
      db,
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`added ${MACHINE}: ssh ${sshd.user}@127.0.0.1:${sshd.port}`);

    const checked = runCli(['machines', 'check', MACHINE, '--db', db]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/^protocol 1, Python [\d.]+, torch \S+$/m);
    expect(checked.stdout).toMatch(/^device (cpu|cuda)/m);
    const hello = JSON.parse(checked.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(hello).toMatchObject({ type: 'hello', protocol: 1 });
    expect(hello.presets).toContain('tiny-llama');

    const listed = runCli(['machines', 'list', '--format', 'json', '--db', db]);
    expect(listed.code, listed.stderr).toBe(0);
    const json = JSON.parse(listed.stdout) as {
      simulated: { name: string }[];
      workers: Record<string, unknown>[];
      calibrations: unknown[];
    };
    expect(json.simulated.map((m) => m.name)).toContain('a100-llama2-7b');
    expect(json.workers).toEqual([
      expect.objectContaining({
        name: MACHINE,
        kind: 'ssh',
        user: sshd.user,
        host: '127.0.0.1',
        port: sshd.port,
        identityFile: sshd.identityFile,
        knownHostsFile: sshd.knownHostsFile,
        strictHostKeyChecking: 'yes',
        python: WORKER_PYTHON,
      }),
    ]);
    expect(json.calibrations).toEqual([]);
  });

  it('runs a small sweep GPU-in-the-loop over ssh: all done, iterations measured and stored', () => {
    const REQUESTS = 12;
    // 40 + 24 tokens = 4 blocks per request; 10 blocks hold two requests, so vllm evicts.
    const spec = writeSpec('gpu-small', [
      `machine: { worker: ${MACHINE}, model: tiny-llama, kvBlocks: 10, blockSize: 16, stepTimeoutS: 30 }`,
      `requests: ${REQUESTS}`,
      'seeds: [1]',
      'workloads:',
      '  - name: tiny',
      '    types: [{ prompt: 40, output: 24, rate: 50 }]',
      'policies: [{ policy: vllm }, { policy: sarathi, chunkSize: 32 }, { policy: fcfs }]',
    ]);
    const r = runCli(['sweep', spec, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const sweepId = Number(r.stdout.trim().split('\n').at(-1));
    expect(r.stderr).toMatch(new RegExp(`sweep ${sweepId} \\(gpu-small\\): 3 done, 0 failed`));

    const runs = withStore((store) => {
      const sweep = store.getSweep(sweepId)!;
      const machine = JSON.parse(sweep.machineJson) as {
        name: string;
        kvCapacityBlocks: number;
        worker: { machine: string; reachedBy: string; kvBlocks: number };
      };
      expect(machine.name).toBe(`${MACHINE}/tiny-llama`);
      expect(machine.kvCapacityBlocks).toBe(10);
      expect(machine.worker).toMatchObject({ machine: MACHINE, kvBlocks: 10 });
      expect(machine.worker.reachedBy).toContain(`ssh ${sshd.user}@127.0.0.1:${sshd.port}`);

      const rows = store.listRuns({ sweepId });
      expect(rows.map((row) => [row.policy, row.status, row.error])).toEqual([
        ['vllm', 'done', null],
        ['sarathi', 'done', null],
        ['fcfs', 'done', null],
      ]);
      for (const row of rows) {
        const m = row.metrics!;
        expect(m.requests, row.policy).toBe(REQUESTS);
        expect(m.completed, row.policy).toBe(REQUESTS);
        expect(m.unfinished, row.policy).toBe(0);

        // Every request finished exactly once, with all of its output tokens.
        const req = store.getRequestRecords(row.id);
        expect(req.arrival.length).toBe(REQUESTS);
        for (let i = 0; i < REQUESTS; i++) {
          expect(Number.isFinite(req.finish[i]), `${row.policy} request ${i}`).toBe(true);
          expect(req.finish[i]).toBeGreaterThanOrEqual(req.firstToken[i]!);
          expect(req.generatedTokens[i]).toBe(req.outputTokens[i]);
          expect([req.promptTokens[i], req.outputTokens[i]]).toEqual([40, 24]);
        }

        // One stored record per iteration, each measured on the worker.
        const iterations = store.getIterations(row.id);
        expect(iterations, row.policy).toBeDefined();
        const steps = iterations!;
        const n = steps.timeS.length;
        expect(n).toBeGreaterThan(0);
        expect(n).toBe(m.iterations);
        for (let k = 0; k < n; k++) {
          expect(steps.timeS[k], `${row.policy} iteration ${k}`).toBeGreaterThan(0);
          expect(steps.wallS[k]).toBeGreaterThan(0);
          expect(steps.numPrefills[k] + steps.numDecodes[k]).toBeGreaterThan(0);
          // Iterations do not overlap: each starts once the previous one has ended.
          if (k > 0) {
            expect(steps.startS[k]).toBeGreaterThanOrEqual(steps.startS[k - 1]! + steps.timeS[k - 1]! - 1e-9);
          }
        }
        // Every prompt token, and every cached token lost to an eviction, was prefilled on the
        // worker; a request evicted after its first token also re-prefills its last sampled
        // token, which was never cached (vllm token model).
        const prefilled = steps.prefillTokens.reduce((a, b) => a + b, 0);
        const prompts = req.promptTokens.reduce((a, b) => a + b, 0);
        const [recomputed, evictions] = [m.recomputed_tokens!, m.evictions!];
        expect(prefilled).toBeGreaterThanOrEqual(prompts + recomputed);
        expect(prefilled).toBeLessThanOrEqual(prompts + recomputed + evictions);
        if (evictions === 0) expect(prefilled).toBe(prompts);
      }
      return rows;
    });
    // The KV cache is small enough that at least one policy evicted (and recomputed) requests.
    const byPolicy = Object.fromEntries(runs.map((row: RunRow) => [row.policy, row.metrics!]));
    expect(byPolicy.vllm!.evictions).toBeGreaterThan(0);
    expect(byPolicy.vllm!.preemptions).toBeGreaterThan(0);
    expect(byPolicy.vllm!.recomputed_tokens).toBeGreaterThan(0);

    // `runs --format json` shows the same.
    const listed = runCli(['runs', '--sweep', String(sweepId), '--format', 'json', '--db', db]);
    expect(listed.code, listed.stderr).toBe(0);
    const json = JSON.parse(listed.stdout) as { status: string; metrics: { completed: number } }[];
    expect(json.map((row) => [row.status, row.metrics.completed])).toEqual(Array(3).fill(['done', REQUESTS]));

    // The sweep stopped its worker and its ssh client.
    expect(ourWorkers()).toEqual([]);
    expect(ourSshClients()).toEqual([]);
  });

  it('a worker killed mid-run fails that run only; the next run gets a fresh worker; nothing is left', async () => {
    // Run 1 ("long") takes several seconds of steps; run 2 ("short") is quick.
    const spec = writeSpec('gpu-kill', [
      `machine: { worker: ${MACHINE}, model: tiny-llama, kvBlocks: 64, blockSize: 16, stepTimeoutS: 30 }`,
      'requests: 24',
      'seeds: [1]',
      'workloads:',
      '  - name: long',
      '    types: [{ prompt: 32, output: 128, rate: 20 }]',
      '  - name: short',
      '    types: [{ prompt: 16, output: 16, rate: 20 }]',
      'policies: [{ policy: vllm }]',
    ]);
    const before = new Set(workerPids());
    const child = startCli(['sweep', spec, '--db', db]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));

    // Every worker this sweep starts, seen while it runs (an orphan would lose its ancestry).
    const seen = new Set<number>();
    const watch = () => {
      for (const pid of workerPids()) if (!before.has(pid) && descendsFrom(pid, sshdPid)) seen.add(pid);
    };
    const poller = setInterval(watch, 25);
    let victim: number | undefined;
    try {
      for (const deadline = Date.now() + 30_000; victim === undefined; await sleep(25)) {
        if (done || Date.now() > deadline) throw new Error(`no remote worker appeared:\n${stderr}`);
        watch();
        victim = [...seen][0];
      }
      expect(argvOf(victim)).toContain('schedbench_worker');
      expect(argvOf(victim)[0]).toBe(WORKER_PYTHON);
      // Let it import torch, load tiny-llama and answer some 50 requests (steps and frees, one
      // write each; the remote shell's writes before it exec'd the worker are in the baseline):
      // run 1 is well under way, and has seconds left.
      const baseline = writeSyscalls(victim);
      for (const deadline = Date.now() + 30_000; writeSyscalls(victim) < baseline + 50; await sleep(10)) {
        if (done || Date.now() > deadline) throw new Error(`the worker did not start stepping:\n${stderr}`);
      }
      const running = withStore((store) => store.listRuns().filter((row) => row.status === 'running'));
      expect(running.map((row) => row.workload)).toEqual(['long']);
      expect(done).toBe(false);
      process.kill(victim, 'SIGKILL');
      expect(await goneWithin(victim)).toBe(true);

      const code = await exited;
      expect(code, stderr).toBe(1);
    } finally {
      clearInterval(poller);
      if (!done) child.kill('SIGKILL');
    }

    const sweepId = Number(stdout.trim().split('\n').at(-1));
    expect(stderr).toMatch(/FAILED: GPU worker gpu: /);
    expect(stderr).toMatch(new RegExp(`sweep ${sweepId} \\(gpu-kill\\): 1 done, 1 failed`));
    withStore((store) => {
      const [first, second] = store.listRuns({ sweepId });
      expect(first!.workload).toBe('long');
      expect(first!.status).toBe('failed');
      // The ssh client reports the remote worker's death as its own exit (255); the stderr tail
      // names the remote PID that was killed.
      expect(first!.error).toMatch(
        new RegExp(
          `^GPU worker gpu: ssh worker ${sshd.user}@127\\.0\\.0\\.1:${sshd.port}: worker process (exited|killed)`,
        ),
      );
      expect(first!.error).toContain(`stderr tail:\nschedbench-worker-pid=${victim}`);
      expect(second!.workload).toBe('short');
      expect(second!.status).toBe('done');
      expect(second!.metrics!.completed).toBe(24);
      expect(store.getIterations(second!.id)!.timeS.length).toBe(second!.metrics!.iterations);
    });
    // Run 2 ran on a second worker, started after the first was killed.
    expect(seen.size).toBe(2);

    // No worker of this sweep remains, nor any ssh client it started.
    for (const pid of seen) expect(await goneWithin(pid, 10_000), `worker ${pid}`).toBe(true);
    for (const t0 = Date.now(); Date.now() - t0 < 10_000 && ourSshClients().length > 0;) await sleep(50);
    expect(ourSshClients()).toEqual([]);
    expect(ourWorkers()).toEqual([]);
  });

  it('machines check fails with exit 1 and ssh’s message when nothing listens on the port', async () => {
    const port = await freePort();
    const name = 'nowhere';
    const added = runCli([
      'machines',
      'add',
      name,
      '--ssh',
      `${sshd.user}@127.0.0.1`,
      '--port',
      String(port),
      '--identity',
      sshd.identityFile,
      '--known-hosts',
      sshd.knownHostsFile,
      '--db',
      db,
    ]);
    expect(added.code, added.stderr).toBe(0);
    const checked = runCli(['machines', 'check', name, '--db', db]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe('');
    expect(checked.stderr).toContain(`machine ${name} (ssh ${sshd.user}@127.0.0.1:${port}`);
    expect(checked.stderr).toMatch(new RegExp(`port ${port}: Connection refused`));

    const removed = runCli(['machines', 'remove', name, '--db', db]);
    expect(removed.code, removed.stderr).toBe(0);
    const listed = JSON.parse(runCli(['machines', 'list', '--format', 'json', '--db', db]).stdout) as {
      workers: { name: string }[];
    };
    expect(listed.workers.map((w) => w.name)).toEqual([MACHINE]);
  });
});
