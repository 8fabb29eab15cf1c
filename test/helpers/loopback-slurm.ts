import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './loopback-sshd.js';

/** The Slurm daemons, client commands and munge programs the loopback cluster needs (packages slurm-wlm and munge). */
const PROGRAMS = [
  'slurmctld',
  'slurmd',
  'sinfo',
  'sbatch',
  'squeue',
  'scontrol',
  'scancel',
  'munged',
  'munge',
  'runuser',
] as const;

/** The client commands {@link LoopbackSlurm.run} runs. */
export type SlurmCommand = 'sinfo' | 'sbatch' | 'squeue' | 'scontrol' | 'scancel';

/** What a client command printed, and how it exited. */
export interface SlurmResult {
  /** The exit status (null when it was killed, e.g. by the 30 s timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A real one-node Slurm cluster on 127.0.0.1 (Debian's slurm-wlm, authenticated by the system's
 * munged): `slurmctld -D` and `slurmd -D` with a fresh slurm.conf, state and spool in a temporary
 * folder, and one partition holding this machine's CPUs and memory (`slurmd -C`).
 */
export interface LoopbackSlurm {
  /** The slurm.conf both daemons and the client commands read. */
  conf: string;
  /** The environment the client commands need (`SLURM_CONF`); merge it into `process.env`. */
  env: { SLURM_CONF: string };
  /** The temporary folder (slurm.conf, state, spool, pid files, logs); removed by {@link stop}. */
  dir: string;
  /** The one partition, the default. */
  partition: 'debug';
  /** The one node: this machine's short host name, as `slurmd -C` reports it. */
  nodeName: string;
  /** Its CPUs (`slurmd -C`): at most this many one-CPU jobs run at a time. */
  cpus: number;
  /** slurmctld's port on 127.0.0.1. */
  slurmctldPort: number;
  /** slurmd's port on 127.0.0.1. */
  slurmdPort: number;
  /**
   * Runs a client command against this cluster (synchronously, at most 30 s) and returns what it
   * printed; a non-zero exit is returned, not thrown.
   */
  run(cmd: SlurmCommand, args: readonly string[]): SlurmResult;
  /** Both daemons' logs so far (their stderr); after {@link stop}, the logs as they were then. */
  log(): string;
  /**
   * Cancels every job still queued or running (their processes would outlive slurmd), kills both
   * daemons (their PIDs, SIGTERM then SIGKILL) and waits for them to exit, stops munged if this
   * module started it and no other cluster uses it, and removes the folder. Idempotent.
   */
  stop(): Promise<void>;
}

/** `name`'s absolute path on PATH or in the sbin folders (a non-root PATH often lacks them), or undefined. */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The absolute path of one of {@link PROGRAMS}; throws with the install hint when it is missing. */
function bin(name: (typeof PROGRAMS)[number]): string {
  const path = which(name);
  if (!path) throw new Error(`${name} not found: ${slurmMissing()}`);
  return path;
}

/**
 * What the loopback Slurm cluster lacks on this machine (the programs not found, with the
 * apt-get line that installs them), or undefined when everything is there. Root is checked by
 * {@link loopbackSlurmSkipReason}.
 */
export function slurmMissing(): string | undefined {
  const missing = PROGRAMS.filter((name) => !which(name));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} not found (apt-get install -y --no-install-recommends slurm-wlm munge)`;
}

/**
 * Why the loopback Slurm tests cannot run here (null when they can): {@link slurmMissing}, or not
 * root (slurmd starts jobs as their users, munged runs as user munge). With SCHEDBENCH_REQUIRE_ALL=1
 * that is an error instead of a skip.
 * @throws Error when they cannot run and SCHEDBENCH_REQUIRE_ALL=1
 */
export function loopbackSlurmSkipReason(what: string): string | null {
  let reason: string | null = slurmMissing() ?? null;
  if (!reason && process.getuid?.() !== 0) reason = 'slurmctld and slurmd on loopback need root';
  if (reason && process.env.SCHEDBENCH_REQUIRE_ALL === '1') {
    throw new Error(`SCHEDBENCH_REQUIRE_ALL=1 but ${reason}: ${what} cannot run`);
  }
  if (reason) console.warn(`SKIPPED ${what}: ${reason}. Set SCHEDBENCH_REQUIRE_ALL=1 to make this an error.`);
  return reason;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `file` synchronously (at most 30 s) with `env` added to this process's environment. */
function runSync(file: string, args: readonly string[], env: Record<string, string> = {}): SlurmResult {
  const r: SpawnSyncReturns<string> = spawnSync(file, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

const MUNGE_KEY = '/etc/munge/munge.key';
const MUNGE_RUN = '/run/munge';
const MUNGED_PID = join(MUNGE_RUN, 'munged.pid');

/** The PID of the munged this module started, while a cluster uses it (undefined: none, or one it did not start). */
let ourMunged: number | undefined;
/** How many clusters started by this module have not been stopped yet (each holds munged). */
let mungeUsers = 0;

/** Whether a munged answers on the default socket (a credential encodes). */
function mungeAnswers(): boolean {
  return runSync(bin('munge'), ['-n']).status === 0;
}

/** Whether process `pid` runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Makes sure a munged answers: creates {@link MUNGE_KEY} (owner munge, mode 0400) when it is
 * missing, and starts `/usr/sbin/munged` as user munge (it daemonizes; its PID is in
 * /run/munge/munged.pid) unless one already runs. A munged that was already running is reused
 * and never stopped.
 */
async function ensureMunged(): Promise<void> {
  if (mungeAnswers()) {
    mungeUsers++;
    return;
  }
  if (!existsSync(MUNGE_KEY)) {
    mkdirSync('/etc/munge', { recursive: true, mode: 0o700 });
    const mungekey = which('mungekey') ?? which('create-munge-key');
    const made = mungekey
      ? runSync(mungekey, mungekey.endsWith('mungekey') ? ['--create', '--keyfile', MUNGE_KEY] : ['-f'])
      : undefined;
    if (!made || made.status !== 0 || !existsSync(MUNGE_KEY)) {
      writeFileSync(MUNGE_KEY, readRandom(1024), { mode: 0o400 });
    }
  }
  const munge = userIds('munge');
  for (const path of ['/etc/munge', MUNGE_KEY]) chownSync(path, munge.uid, munge.gid);
  chmodSync(MUNGE_KEY, 0o400);
  mkdirSync(MUNGE_RUN, { recursive: true });
  chownSync(MUNGE_RUN, munge.uid, munge.gid);
  chmodSync(MUNGE_RUN, 0o755);
  for (const path of ['/var/lib/munge', '/var/log/munge']) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chownSync(path, munge.uid, munge.gid);
  }
  const started = runSync(bin('runuser'), ['-u', 'munge', '--', bin('munged')]);
  const deadline = Date.now() + 5_000;
  while (!mungeAnswers()) {
    if (Date.now() > deadline) {
      throw new Error(`munged did not start (exit ${started.status}): ${started.stderr}`);
    }
    await sleep(50);
  }
  mungeUsers++;
  const pid = Number(readFileSync(MUNGED_PID, 'utf8').trim());
  if (pid > 0) ourMunged = pid;
}

/** Stops the munged {@link ensureMunged} started once no cluster of this module uses it. */
async function releaseMunged(): Promise<void> {
  mungeUsers = Math.max(0, mungeUsers - 1);
  if (mungeUsers > 0 || ourMunged === undefined) return;
  const pid = ourMunged;
  ourMunged = undefined;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (const deadline = Date.now() + 5_000; alive(pid) && Date.now() < deadline;) await sleep(50);
}

/** `bytes` random bytes from /dev/urandom (the key when neither mungekey nor create-munge-key exists). */
function readRandom(bytes: number): Buffer {
  const fd = openSync('/dev/urandom', 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    for (let done = 0; done < bytes;) done += readSync(fd, buffer, done, bytes - done, null);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/** `user`'s uid and gid (from `id`). */
function userIds(user: string): { uid: number; gid: number } {
  const uid = Number(runSync('id', ['-u', user]).stdout.trim());
  const gid = Number(runSync('id', ['-g', user]).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || runSync('id', [user]).status !== 0) {
    throw new Error(`no user ${user} (the munge package creates it)`);
  }
  return { uid, gid };
}

/** This node's line of `slurmd -C` (`NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105`), parsed. */
function nodeHardware(): { nodeName: string; cpus: number; line: string } {
  const r = runSync(bin('slurmd'), ['-C']);
  const line = r.stdout.split('\n').find((l) => l.startsWith('NodeName='));
  if (r.status !== 0 || !line) throw new Error(`slurmd -C failed: ${r.stderr}${r.stdout}`);
  const nodeName = /NodeName=(\S+)/.exec(line)![1]!;
  const cpus = Number(/CPUs=(\d+)/.exec(line)?.[1] ?? 1);
  // Keep the hardware fields only (drop NodeName, which we write ourselves, and UpTime's line).
  const hardware = line
    .split(/\s+/)
    .filter((field) => /^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=/.test(field))
    .join(' ');
  return { nodeName, cpus, line: hardware };
}

function slurmConf(
  dir: string,
  nodeName: string,
  hardware: string,
  ctldPort: number,
  slurmdPort: number,
): string {
  return [
    '# A one-node cluster on 127.0.0.1 for the tests (test/helpers/loopback-slurm.ts).',
    'ClusterName=schedbench',
    `SlurmctldHost=${nodeName}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    // No SlurmctldLogFile/SlurmdLogFile: with -D the daemons log to stderr, which goes to
    // slurmctld.log and slurmd.log in the folder (so a fatal error before logging starts is kept).
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'ReturnToService=2',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    // Schedule at once on submission and on each job's end (sched/backfill and the default
    // batch_sched_delay wait seconds).
    'SchedulerType=sched/builtin',
    'SchedulerParameters=batch_sched_delay=0',
    'MailProg=/bin/true',
    `NodeName=${nodeName} NodeAddr=127.0.0.1 NodeHostname=${nodeName} ${hardware} State=UNKNOWN`,
    `PartitionName=debug Nodes=${nodeName} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}

/** Starts `file args` with stderr (and stdout) appended to `logFile`. */
function daemon(file: string, args: string[], logFile: string, env: Record<string, string>): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    return spawn(file, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  } finally {
    closeSync(fd);
  }
}

function kill(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Whether an exited daemon's log says its port was taken (then another pair of ports is tried). */
const PORT_TAKEN = /Address already in use|Unable to bind|bind\(\)|in use/i;

/**
 * Starts a one-node Slurm cluster on 127.0.0.1: makes sure munged runs (see {@link ensureMunged}),
 * writes a fresh slurm.conf in a temporary folder with two free ports, starts `slurmctld -D` and
 * `slurmd -D` on it, and waits until `sinfo` reports the node idle (resuming it if it comes up
 * down or drained). Retries with other ports when a daemon loses a port race. Needs root and
 * the programs {@link slurmMissing} checks.
 */
export async function startLoopbackSlurm(): Promise<LoopbackSlurm> {
  const { nodeName, cpus, line: hardware } = nodeHardware();
  await ensureMunged();
  let lastLog = '';
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'schedbench-slurm-'));
      mkdirSync(join(dir, 'state'));
      mkdirSync(join(dir, 'spool'));
      const conf = join(dir, 'slurm.conf');
      const env = { SLURM_CONF: conf };
      const ctldPort = await freePort();
      let slurmdPort = await freePort();
      while (slurmdPort === ctldPort) slurmdPort = await freePort();
      writeFileSync(conf, slurmConf(dir, nodeName, hardware, ctldPort, slurmdPort));
      const logs = { slurmctld: join(dir, 'slurmctld.log'), slurmd: join(dir, 'slurmd.log') };
      const log = () =>
        `==> slurmctld (${logs.slurmctld}) <==\n${readLog(logs.slurmctld)}\n==> slurmd (${logs.slurmd}) <==\n${readLog(logs.slurmd)}`;
      const ctld = daemon(bin('slurmctld'), ['-D', '-f', conf], logs.slurmctld, env);
      const slurmd = daemon(bin('slurmd'), ['-D', '-f', conf, '-N', nodeName], logs.slurmd, env);
      const run = (cmd: SlurmCommand, args: readonly string[]) => runSync(bin(cmd), args, env);

      const up = await waitIdle(run, nodeName, [ctld, slurmd], 20_000);
      if (up === 'idle') {
        return handle({
          conf,
          env,
          dir,
          nodeName,
          cpus,
          slurmctldPort: ctldPort,
          slurmdPort,
          run,
          log,
          daemons: [ctld, slurmd],
        });
      }
      lastLog = `${up}\n${log()}`;
      await Promise.all([kill(ctld), kill(slurmd)]);
      await killStrays(conf);
      rmSync(dir, { recursive: true, force: true });
      if (up !== 'exited' || !PORT_TAKEN.test(lastLog)) break;
    }
  } catch (error) {
    await releaseMunged();
    throw error;
  }
  await releaseMunged();
  throw new Error(`Slurm did not start on 127.0.0.1:\n${lastLog}`);
}

/**
 * Polls `sinfo` until the node is idle ('idle'), a daemon exits ('exited') or `ms` pass
 * ('timeout: STATE'). A node that reports down, drained or draining is resumed once.
 */
async function waitIdle(
  run: LoopbackSlurm['run'],
  nodeName: string,
  daemons: ChildProcess[],
  ms: number,
): Promise<string> {
  let state = '';
  let resumed = false;
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) {
    if (daemons.some((d) => d.exitCode !== null || d.signalCode !== null)) return 'exited';
    const r = run('sinfo', ['-h', '-n', nodeName, '-o', '%T']);
    state = r.status === 0 ? r.stdout.trim() : `sinfo failed: ${r.stderr.trim()}`;
    if (state === 'idle') return 'idle';
    if (!resumed && /^(down|drain|drained|draining)$/.test(state)) {
      resumed = true;
      run('scontrol', ['update', `nodename=${nodeName}`, 'state=resume']);
    }
  }
  return `timeout: node state ${JSON.stringify(state)}`;
}

function handle(parts: {
  conf: string;
  env: { SLURM_CONF: string };
  dir: string;
  nodeName: string;
  cpus: number;
  slurmctldPort: number;
  slurmdPort: number;
  run: LoopbackSlurm['run'];
  log: () => string;
  daemons: ChildProcess[];
}): LoopbackSlurm {
  const { run, daemons, dir } = parts;
  let stopped: Promise<void> | undefined;
  let finalLog: string | undefined;
  return {
    conf: parts.conf,
    env: parts.env,
    dir,
    partition: 'debug',
    nodeName: parts.nodeName,
    cpus: parts.cpus,
    slurmctldPort: parts.slurmctldPort,
    slurmdPort: parts.slurmdPort,
    run,
    log: () => finalLog ?? parts.log(),
    stop() {
      stopped ??= (async () => {
        await cancelAll(run, daemons);
        await Promise.all(daemons.map((d) => kill(d)));
        await killStrays(parts.conf);
        finalLog = parts.log();
        rmSync(dir, { recursive: true, force: true });
        await releaseMunged();
      })();
      return stopped;
    },
  };
}

/**
 * Kills (SIGKILL) what the cluster left behind once its daemons are gone: slurmstepd and job
 * processes (they outlive slurmd and are children of init), found by the `SLURM_CONF=conf` in
 * their environment, which slurmd passes to slurmstepd and sbatch to the job. Waits (at most 5 s)
 * until they are gone.
 */
async function killStrays(conf: string): Promise<void> {
  const marker = `\0SLURM_CONF=${conf}\0`;
  const strays: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(marker) && alive(pid))
        strays.push(pid);
    } catch {
      // Gone already, or not ours to read.
    }
  }
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  for (const deadline = Date.now() + 5_000; strays.some(alive) && Date.now() < deadline;) await sleep(50);
}

/**
 * Cancels every job of the cluster and waits (at most 10 s) until squeue lists none, so that no
 * job's processes (slurmstepd and its children outlive slurmd) are left behind.
 */
async function cancelAll(run: LoopbackSlurm['run'], daemons: ChildProcess[]): Promise<void> {
  if (daemons.some((d) => d.exitCode !== null || d.signalCode !== null)) return;
  const ids = () => {
    const r = run('squeue', ['-h', '-o', '%i']);
    return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  };
  if (ids().length === 0) return;
  run('scancel', ['--full', '--user=root']);
  for (const deadline = Date.now() + 10_000; ids().length > 0 && Date.now() < deadline;) await sleep(100);
}
