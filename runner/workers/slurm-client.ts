/**
 * Talking to Slurm (https://slurm.schedmd.com): submitting a job array (`sbatch`), seeing which of
 * its tasks are still queued or running (`squeue`), cancelling it or one task (`scancel`). The
 * commands run on this host (on PATH, with this process's environment, SLURM_CONF included), or on
 * a login node over SSH with the same options and host-key rules as SSH workers (sshArguments).
 *
 * Only `squeue` is asked about tasks: a cluster without an accounting database (no `sacct`) answers
 * it too. A task that has left the queue has ended (completed, failed, cancelled or timed out);
 * what it stored is read from its shard, not from Slurm's state.
 */
import { InputError } from '../errors.js';
import { sshArguments, type SshWorkerOptions } from './ssh-worker.js';
import { shellQuote } from './worker-code-bundle.js';

/** Where Slurm's commands run: here, or on a login node over SSH. */
export interface SlurmTarget {
  /** The login node; absent: this host. */
  ssh?: SshWorkerOptions;
  /** Extra environment for local commands (e.g. SLURM_CONF); ignored over SSH. */
  env?: Record<string, string>;
}

/** What {@link SlurmClient.submitArray} submits. */
export interface ArraySubmission {
  /** The batch script (absolute path on the cluster's shared filesystem). */
  script: string;
  /** Array tasks, numbered 0..tasks - 1. */
  tasks: number;
  /** Tasks running at once (`--array=0-N%K`); absent: as many as Slurm allows. */
  parallelism?: number;
  /** `--job-name`. */
  jobName: string;
  /** `--output`, with Slurm's `%A` (array job id) and `%a` (task index) patterns. */
  output: string;
  /** `--chdir`. */
  workDir: string;
  partition?: string;
  /** `--gres`, e.g. `gpu:1`. */
  gres?: string;
  /** `--time`, e.g. `02:00:00`. */
  time?: string;
  /** `--cpus-per-task`. */
  cpusPerTask?: number;
}

/** A Slurm command that failed: the command, its exit code and stderr. */
export class SlurmError extends Error {
  override readonly name = 'SlurmError';
}

/** Runs Slurm's commands on a {@link SlurmTarget}. */
export class SlurmClient {
  /** @param target here (default) or a login node over SSH */
  constructor(private readonly target: SlurmTarget = {}) {}

  /** `local`, or `ssh USER@HOST:PORT`: how runs and arrays record where Slurm was reached. */
  get reachedBy(): string {
    const ssh = this.target.ssh;
    return ssh ? `ssh ${ssh.user}@${ssh.host}:${ssh.port ?? 22}` : 'local';
  }

  /**
   * Submits a job array with `sbatch --parsable`.
   * @returns the array's job id
   * @throws SlurmError with sbatch's message (an unknown partition, a bad --gres, no sbatch)
   */
  async submitArray(s: ArraySubmission): Promise<string> {
    const args = [
      '--parsable',
      `--array=0-${s.tasks - 1}${s.parallelism === undefined ? '' : `%${s.parallelism}`}`,
      `--job-name=${s.jobName}`,
      `--output=${s.output}`,
      `--chdir=${s.workDir}`,
      ...(s.partition === undefined ? [] : [`--partition=${s.partition}`]),
      ...(s.gres === undefined ? [] : [`--gres=${s.gres}`]),
      ...(s.time === undefined ? [] : [`--time=${s.time}`]),
      ...(s.cpusPerTask === undefined ? [] : [`--cpus-per-task=${s.cpusPerTask}`]),
      s.script,
    ];
    const out = await this.run('sbatch', args);
    const jobId = out.trim().split(/\s+/).pop() ?? '';
    if (!/^\d+(;\S+)?$/.test(jobId)) throw new SlurmError(`sbatch printed no job id: ${out.trim()}`);
    return jobId.split(';')[0];
  }

  /**
   * The array's tasks still in Slurm's queue (pending, running, completing...), by task index, with
   * their state. An array Slurm no longer knows (purged after it ended) has none.
   * @throws SlurmError when squeue cannot be run or fails otherwise
   */
  async liveTasks(jobId: string, tasks: number): Promise<Map<number, string>> {
    let out: string;
    try {
      out = await this.run('squeue', ['-h', '-r', '-j', jobId, '-o', '%K %T']);
    } catch (err) {
      if (err instanceof SlurmError && /Invalid job id/i.test(err.message)) return new Map();
      throw err;
    }
    const live = new Map<number, string>();
    for (const line of out.split('\n')) {
      const [index, state] = line.trim().split(/\s+/);
      if (index === undefined || state === undefined) continue;
      // A pending range not yet split into tasks prints as `0-3%2` or `4-7`.
      const range = /^(\d+)(?:-(\d+))?/.exec(index);
      if (!range) continue;
      const from = Number(range[1]);
      const to = range[2] === undefined ? from : Number(range[2]);
      for (let i = from; i <= Math.min(to, tasks - 1); i++) live.set(i, state);
    }
    return live;
  }

  /**
   * Cancels the whole array, or one task of it (`scancel JOB_TASK`). Cancelling what has ended is
   * not an error.
   * @throws SlurmError when scancel cannot be run
   */
  async cancel(jobId: string, task?: number): Promise<void> {
    try {
      await this.run('scancel', [task === undefined ? jobId : `${jobId}_${task}`]);
    } catch (err) {
      if (err instanceof SlurmError && /Invalid job id|already completing or completed/i.test(err.message)) {
        return;
      }
      throw err;
    }
  }

  /** Runs a Slurm command here or over SSH; @returns its stdout @throws SlurmError */
  private async run(command: string, args: string[]): Promise<string> {
    const ssh = this.target.ssh;
    const { execa } = await import('execa'); // loaded on first use: it costs ~80 ms of CPU
    const result = ssh
      ? await execa('ssh', [...sshArguments(ssh), [command, ...args].map(shellQuote).join(' ')], {
          reject: false,
          timeout: 60_000,
        })
      : await execa(command, args, {
          reject: false,
          timeout: 60_000,
          env: this.target.env,
        });
    if (result.exitCode === 0 && !result.failed) return String(result.stdout);
    const stderr = String(result.stderr ?? '').trim();
    const why =
      (result as { code?: string }).code === 'ENOENT'
        ? `${command} not found: is Slurm installed here (or give --slurm-host)?`
        : stderr || `exit code ${result.exitCode}`;
    throw new SlurmError(`${command} ${args.join(' ')} (${this.reachedBy}): ${why}`);
  }
}

/**
 * Parses `--slurm-host USER@HOST[:PORT]`.
 * @throws InputError naming the option for anything else
 */
export function parseSlurmHost(value: string): { user: string; host: string; port: number } {
  const m = /^([^@\s]+)@([^:\s]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m)
    throw new InputError(`--slurm-host ${value}: expected USER@HOST or USER@HOST:PORT`, {
      field: '--slurm-host',
    });
  return { user: m[1], host: m[2], port: m[3] === undefined ? 22 : Number(m[3]) };
}
