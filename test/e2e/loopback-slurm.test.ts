import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loopbackSlurmSkipReason,
  startLoopbackSlurm,
  type LoopbackSlurm,
} from '../helpers/loopback-slurm.js';

/**
 * A real one-node Slurm on 127.0.0.1 (test/helpers/loopback-slurm.ts): job arrays run to the end
 * and write their files, and scancel of one array task cancels that task only. Skips without
 * slurm-wlm and munge or without root, fails instead with SCHEDBENCH_REQUIRE_ALL=1 (.ci/run).
 */
const reason = loopbackSlurmSkipReason('loopback Slurm tests');

/** `path`'s text, or '' while it does not exist. */
function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(reason !== null)('a one-node Slurm on loopback', () => {
  let slurm: LoopbackSlurm;

  beforeAll(async () => {
    slurm = await startLoopbackSlurm();
  });
  afterAll(async () => {
    await slurm?.stop();
  });

  /** Runs a client command and returns its stdout; a non-zero exit fails with the daemons' logs. */
  function ok(cmd: Parameters<LoopbackSlurm['run']>[0], args: string[]): string {
    const r = slurm.run(cmd, args);
    if (r.status !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}\n${slurm.log()}`);
    }
    return r.stdout;
  }

  /** The array tasks of `jobId` squeue lists, as `TASK STATE` lines (e.g. `1 RUNNING`). */
  function tasks(jobId: string): string[] {
    return ok('squeue', ['-h', '-r', '-j', jobId, '-o', '%K %T']).split('\n').filter(Boolean).sort();
  }

  /** Polls `done` every 100 ms; the deadline only turns a hang into a failure. */
  async function until(what: string, done: () => boolean, ms = 15_000): Promise<void> {
    for (const deadline = Date.now() + ms; !done(); await sleep(100)) {
      if (Date.now() > deadline) {
        const queue = slurm.run('squeue', ['-h', '-r', '-o', '%i %T %r']).stdout;
        throw new Error(`timed out waiting for ${what}; squeue:\n${queue}\n${slurm.log()}`);
      }
    }
  }

  /** A field of `scontrol show job ID` (e.g. JobState). */
  function jobField(id: string, field: string): string | undefined {
    return new RegExp(`\\b${field}=(\\S+)`).exec(ok('scontrol', ['show', 'job', id]))?.[1];
  }

  it('runs a 4-task job array to the end, each task writing its index', async () => {
    expect(ok('sinfo', ['-h', '-p', slurm.partition, '-o', '%P %T %D'])).toMatch(/^debug\* idle 1$/m);
    const out = join(slurm.dir, 'array');
    const jobId = ok('sbatch', [
      '--parsable',
      '--array=0-3',
      `--output=${slurm.dir}/array-%A_%a.out`,
      '--wrap',
      `echo $SLURM_ARRAY_TASK_ID > ${out}-$SLURM_ARRAY_TASK_ID.txt`,
    ]).trim();
    expect(jobId).toMatch(/^\d+$/);
    await until(`job ${jobId} to leave the queue`, () => tasks(jobId).length === 0);
    for (const task of [0, 1, 2, 3]) {
      expect(readFileSync(`${out}-${task}.txt`, 'utf8')).toBe(`${task}\n`);
      expect(jobField(`${jobId}_${task}`, 'JobState')).toBe('COMPLETED');
    }
  });

  it('cancels one task of a running array, leaving the others', async () => {
    const jobId = ok('sbatch', [
      '--parsable',
      '--array=0-3',
      `--output=${slurm.dir}/sleep-%A_%a.out`,
      '--wrap',
      'echo started; exec sleep 30',
    ]).trim();
    // As many tasks run at once as the node has CPUs (one each), so at least tasks 0 and 1 run on
    // two CPUs; the others may wait. Waits until their scripts run: a task cancelled while slurmd
    // still launches it can stay in the queue for many seconds.
    const running = Math.min(4, slurm.cpus);
    const expectRunning = [...Array(running).keys()].map((t) => `${t} RUNNING`);
    const started = (t: number) => readLog(join(slurm.dir, `sleep-${jobId}_${t}.out`)) === 'started\n';
    await until(
      `tasks 0-${running - 1} of job ${jobId} to run`,
      () => expectRunning.every((t) => tasks(jobId).includes(t)) && [...Array(running).keys()].every(started),
    );

    // A running task: its record says CANCELLED, the other tasks go on.
    const victim = running > 1 ? 1 : 0;
    ok('scancel', [`${jobId}_${victim}`]);
    await until(`task ${victim} of job ${jobId} to leave the queue`, () =>
      tasks(jobId).every((t) => !t.startsWith(`${victim} `)),
    );
    expect(jobField(`${jobId}_${victim}`, 'JobState')).toBe('CANCELLED');
    expect(tasks(jobId).map((t) => t.split(' ')[0])).toEqual(
      ['0', '1', '2', '3'].filter((t) => t !== `${victim}`),
    );
    if (victim !== 0) expect(jobField(`${jobId}_0`, 'JobState')).toBe('RUNNING');

    // The last task, pending where the node has fewer than 4 CPUs: it leaves the queue without running.
    ok('scancel', [`${jobId}_3`]);
    await until(`task 3 of job ${jobId} to leave the queue`, () =>
      tasks(jobId).every((t) => !t.startsWith('3 ')),
    );

    ok('scancel', [jobId]);
    await until(`job ${jobId} to leave the queue`, () => tasks(jobId).length === 0);
    expect(jobField(`${jobId}_0`, 'JobState')).toBe('CANCELLED');
    expect(existsSync(join(slurm.dir, `sleep-${jobId}_0.out`))).toBe(true);
  });
});
