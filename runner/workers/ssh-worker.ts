import { WORKER_PIPES } from './local-worker.js';
import { WorkerClient, WorkerError, type WorkerExit } from './worker-client.js';
import { shellQuote, shellQuotePath, workerCodeBundle } from './worker-code-bundle.js';

/** Options of {@link startSshWorker}. */
export interface SshWorkerOptions {
  /** Host name or address of the machine. */
  host: string;
  /** Login name on the host. */
  user: string;
  /** SSH port (default 22). */
  port?: number;
  /** Private key file (`ssh -i`; only that key is offered, `IdentitiesOnly=yes`). */
  identityFile?: string;
  /** known_hosts file to check the host key against (default: ssh's own). */
  knownHostsFile?: string;
  /**
   * Host key policy (default `yes`: the key must already be in known_hosts). `accept-new` adds an
   * unknown key but refuses a changed one; `no` checks nothing and must be configured explicitly.
   */
  strictHostKeyChecking?: 'yes' | 'accept-new' | 'no';
  /** Python interpreter with PyTorch on the host (default `/usr/bin/python3`). */
  python?: string;
  /** Folder on the host holding one sub-folder per worker code version (default `~/.cache/schedbench/worker`). */
  remoteCacheDir?: string;
  /** Seconds ssh waits for the TCP connection (default 10). */
  connectTimeoutS?: number;
  /** Folder holding the local `schedbench_worker` package to copy (default: the repository's `worker/`). */
  workerDir?: string;
  /** Milliseconds to wait for the `hello` reply, torch import included (default 120,000). */
  helloTimeoutMs?: number;
  /** Default request timeout of the returned client, in milliseconds (default 120,000). */
  timeoutMs?: number;
}

/** Marker line the remote shell writes to stderr before it becomes the worker. */
const PID_MARKER = 'schedbench-worker-pid=';
/** Last stdout line of the install command. */
const CODE_MARKER = 'schedbench-worker-code: ';

/**
 * Unpacks the worker code, read from stdin as JSON `{relative path: base64 bytes}`, into the
 * folder given as argv[1]: written to a temporary sibling first and renamed into place, so a
 * folder that exists is always complete (a concurrent install that wins the rename is kept).
 */
const UNPACK_PY = `import base64, json, os, shutil, sys, tempfile
d = sys.argv[1]
files = json.load(sys.stdin)
parent = os.path.dirname(d)
os.makedirs(parent, exist_ok=True)
tmp = tempfile.mkdtemp(prefix=".partial-", dir=parent)
for rel, data in files.items():
    path = os.path.join(tmp, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(data))
try:
    os.rename(tmp, d)
except OSError:
    if not os.path.isdir(d):
        raise
    shutil.rmtree(tmp)
`;

/**
 * A {@link WorkerClient} for a worker running on another machine over ssh. {@link close} also
 * makes sure the remote process is gone: killing the local ssh client does not kill it.
 */
export class SshWorker extends WorkerClient {
  private closing: Promise<WorkerExit> | undefined;

  constructor(
    subprocess: ConstructorParameters<typeof WorkerClient>[0],
    private readonly sshArgs: string[],
    /** `user@host:port`, for messages. */
    readonly target: string,
    /** The remote folder put on PYTHONPATH (named by the code's content hash). */
    readonly codeDir: string,
    /** Whether this start copied the worker code (false: it was already on the host). */
    readonly codeCopied: boolean,
    timeoutMs: number | undefined,
  ) {
    super(subprocess, { label: `ssh worker ${target}`, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    this.remotePidKnown = new Promise((resolve) => {
      let seen = '';
      const onData = (chunk: string | Buffer) => {
        seen += String(chunk);
        const match = new RegExp(`${PID_MARKER}(\\d+)`).exec(seen);
        if (match) {
          this.remotePid = Number(match[1]);
          subprocess.stderr!.off('data', onData);
          resolve(this.remotePid);
        } else if (seen.length > 4096) {
          subprocess.stderr!.off('data', onData);
        }
      };
      subprocess.stderr!.on('data', onData);
      void this.exited.then(() => resolve(this.remotePid));
    });
  }

  /** The worker's process id on the host, once its shell reported it. */
  remotePid: number | undefined;
  /** Resolves with the remote process id once known, or undefined if the ssh client exited before. */
  readonly remotePidKnown: Promise<number | undefined>;

  /**
   * Stops the worker as {@link WorkerClient.close} does (shutdown, end of stdin, SIGKILL of the
   * local ssh client after `graceMs`), then, if the remote process still runs, kills it over a new
   * ssh connection: SIGTERM, and SIGKILL after the grace period (whole seconds, at least one).
   * Idempotent.
   * @throws WorkerError when the cleanup connection fails (the remote process may be left behind)
   */
  override close(graceMs = 5_000): Promise<WorkerExit> {
    this.closing ??= this.closeAndKillRemote(graceMs);
    return this.closing;
  }

  private async closeAndKillRemote(graceMs: number): Promise<WorkerExit> {
    const exit = await super.close(graceMs);
    const pid = this.remotePid;
    if (pid === undefined) return exit;
    const graceS = Math.max(1, Math.ceil(graceMs / 1000));
    // Matches on the command line too, so a recycled PID of another process is left alone.
    const script = [
      `alive() { ps -p ${pid} -o args= 2>/dev/null | grep -q schedbench_worker; }`,
      'alive || exit 0',
      `kill ${pid}`,
      'i=0',
      `while alive && [ "$i" -lt ${graceS} ]; do sleep 1; i=$((i+1)); done`,
      // SIGKILL is delivered asynchronously: wait (up to ~5 s) until the process is gone.
      `if alive; then kill -9 ${pid}; i=0; while alive && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done; fi`,
      'exit 0',
    ].join('\n');
    const { execa } = await import('execa');
    const result = await execa('ssh', [...this.sshArgs, script], {
      stdin: 'ignore',
      reject: false,
      timeout: (graceS + 30) * 1000,
    });
    if (result.exitCode !== 0) {
      const stderr = String(result.stderr).trim();
      const reason = `could not stop remote worker process ${pid}: ${stderr || `ssh exit code ${result.exitCode}`}`;
      throw new WorkerError(`ssh worker ${this.target}: ${reason}`, 'exit', reason, { stderrTail: stderr });
    }
    return exit;
  }
}

/**
 * The ssh arguments before the remote command: `-T`, port, identity, `BatchMode=yes`, host key
 * policy, known_hosts file, connect timeout, then `--` and `user@host`. Passed to execa as an
 * array: nothing goes through a local shell.
 */
export function sshArguments(options: SshWorkerOptions): string[] {
  const args = ['-T', '-p', String(options.port ?? 22)];
  if (options.identityFile !== undefined) args.push('-i', options.identityFile, '-o', 'IdentitiesOnly=yes');
  args.push('-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${options.strictHostKeyChecking ?? 'yes'}`);
  if (options.knownHostsFile !== undefined) args.push('-o', `UserKnownHostsFile=${options.knownHostsFile}`);
  args.push('-o', `ConnectTimeout=${options.connectTimeoutS ?? 10}`, '-o', 'LogLevel=ERROR');
  args.push('--', `${options.user}@${options.host}`);
  return args;
}

/**
 * Starts the Python worker on `host` over ssh and completes the `hello` handshake.
 *
 * 1. One ssh call installs the worker code in `<remoteCacheDir>/<sha256 of the code>/` unless that
 *    folder exists (then stdin is drained and nothing is written); it is unpacked by the host's
 *    Python, so the host needs only Python and PyTorch.
 * 2. A second ssh call runs `echo schedbench-worker-pid=$$ >&2; ... exec python -m schedbench_worker`
 *    with PYTHONPATH set to that folder: the remote shell reports its PID and becomes the worker,
 *    which {@link SshWorker.close} uses to kill it.
 *
 * Locally ssh runs from an argument array. The remote command is a string for the host's login
 * shell (assumed POSIX): every interpolated value is single-quoted by {@link shellQuote}, except a
 * leading `~/` of `remoteCacheDir`, written as `"$HOME"/` so that it expands there.
 * @returns the client, `info` holding the `hello` reply
 * @throws WorkerError when the host is unreachable, authentication or host key checking fails
 *   (message with ssh's stderr), the worker code cannot be installed, or the worker does not
 *   answer `hello` (its stderr tail in the message); the remote process is stopped before throwing
 */
export async function startSshWorker(options: SshWorkerOptions): Promise<SshWorker> {
  const python = options.python ?? '/usr/bin/python3';
  const target = `${options.user}@${options.host}:${options.port ?? 22}`;
  const sshArgs = sshArguments(options);
  const bundle = workerCodeBundle(options.workerDir);
  const cacheDir = (options.remoteCacheDir ?? '~/.cache/schedbench/worker').replace(/\/+$/, '');
  const codeDir = `${cacheDir}/${bundle.hash}`;
  const dir = `${shellQuotePath(cacheDir)}/${shellQuote(bundle.hash)}`;

  const install = [
    `d=${dir}`,
    `if [ -d "$d" ]; then cat >/dev/null; echo ${shellQuote(`${CODE_MARKER}present`)};`,
    `else ${shellQuote(python)} -c ${shellQuote(UNPACK_PY)} "$d" && echo ${shellQuote(`${CODE_MARKER}copied`)}; fi`,
  ].join('\n');
  const payload = JSON.stringify(
    Object.fromEntries(bundle.files.map((f) => [f.path, f.bytes.toString('base64')])),
  );
  const { execa } = await import('execa'); // loaded when a worker starts: it costs ~80 ms of CPU
  const installed = await execa('ssh', [...sshArgs, install], {
    input: payload,
    reject: false,
    timeout: ((options.connectTimeoutS ?? 10) + 60) * 1000,
  });
  const outcome = /schedbench-worker-code: (present|copied)\s*$/.exec(String(installed.stdout));
  if (installed.exitCode !== 0 || !outcome) {
    const stderr = String(installed.stderr).trim();
    const how = installed.timedOut ? 'timed out' : `ssh exit code ${installed.exitCode ?? 'none'}`;
    const reason = `could not install the worker code in ${codeDir}: ${stderr || how}`;
    throw new WorkerError(`ssh worker ${target}: ${reason}`, 'exit', reason, {
      exitCode: installed.exitCode ?? null,
      stderrTail: stderr,
    });
  }

  const run = [
    `echo ${PID_MARKER}$$ >&2`,
    `export PYTHONPATH=${dir} PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1`,
    `cd ${dir} && exec ${shellQuote(python)} -m schedbench_worker`,
  ].join('\n');
  const subprocess = execa('ssh', [...sshArgs, run], WORKER_PIPES);
  const client = new SshWorker(
    subprocess,
    sshArgs,
    target,
    codeDir,
    outcome[1] === 'copied',
    options.timeoutMs,
  );
  try {
    await client.handshake(options.helloTimeoutMs ?? 120_000);
    return client;
  } catch (error) {
    await client.close(1_000).catch(() => undefined);
    if (error instanceof WorkerError) throw error;
    throw new WorkerError(String(error), 'exit');
  }
}
