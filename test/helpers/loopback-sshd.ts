import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The sshd binary the loopback tests use (package openssh-server). */
export const SSHD = '/usr/sbin/sshd';

/** A real sshd listening on 127.0.0.1, with fresh keys in a temporary folder (Debian's openssh-server). */
export interface LoopbackSshd {
  host: '127.0.0.1';
  port: number;
  /** This process's user, who may log in with {@link identityFile}. */
  user: string;
  /** The client's private key. */
  identityFile: string;
  /** A known_hosts file holding the server's host key for `[127.0.0.1]:port`. */
  knownHostsFile: string;
  /** The temporary folder (keys, config, known_hosts); removed by {@link stop}. */
  dir: string;
  /** sshd's stderr so far (`-e`). */
  log(): string;
  /** Kills sshd (its PID) and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr || r.error?.message}`);
}

/**
 * Starts `/usr/sbin/sshd -D -e` on 127.0.0.1 on a free port (retrying on a port race) with a fresh
 * host key and client key, public key authentication only, and waits until it listens.
 * Needs root (sshd's privilege separation) and {@link SSHD}.
 */
export async function startLoopbackSshd(): Promise<LoopbackSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-sshd-'));
  mkdirSync('/run/sshd', { recursive: true });
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'sshd_config'), config);
    const sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    sshd.stderr!.setEncoding('utf8');
    sshd.stderr!.on('data', (chunk: string) => {
      log += chunk;
    });
    const listening = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const check = () => {
        if (/Server listening on/.test(log)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      sshd.stderr!.on('data', check);
      sshd.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (listening) {
      writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
      return handle(sshd, dir, port, () => log);
    }
    lastLog = log;
    await kill(sshd);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start on 127.0.0.1:\n${lastLog}`);
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function handle(sshd: ChildProcess, dir: string, port: number, log: () => string): LoopbackSshd {
  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    identityFile: join(dir, 'client_key'),
    knownHostsFile: join(dir, 'known_hosts'),
    dir,
    log,
    stop() {
      stopped ??= kill(sshd).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

/**
 * Why the loopback ssh tests cannot run here (null when they can): no {@link SSHD}, not root,
 * or no ssh client. With SCHEDBENCH_REQUIRE_ALL=1 that is an error instead of a skip.
 * @throws Error when they cannot run and SCHEDBENCH_REQUIRE_ALL=1
 */
export function loopbackSshdSkipReason(what: string): string | null {
  let reason: string | null = null;
  if (!existsSync(SSHD))
    reason = `${SSHD} not found (apt-get install -y --no-install-recommends openssh-server)`;
  else if (spawnSync('ssh', ['-V']).status !== 0) reason = 'no ssh client on PATH';
  else if (process.getuid?.() !== 0) reason = 'sshd on loopback needs root';
  if (reason && process.env.SCHEDBENCH_REQUIRE_ALL === '1') {
    throw new Error(`SCHEDBENCH_REQUIRE_ALL=1 but ${reason}: ${what} cannot run`);
  }
  if (reason) console.warn(`SKIPPED ${what}: ${reason}. Set SCHEDBENCH_REQUIRE_ALL=1 to make this an error.`);
  return reason;
}
