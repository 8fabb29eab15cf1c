import type { ChildProcess } from 'node:child_process';
import { startCli } from '../helpers/cli.js';

/** A running `schedbench serve` child process and how to reach its API. */
export interface ServeProcess {
  child: ChildProcess;
  /** The ready URL it printed (`http://127.0.0.1:PORT/?token=T`): opening it signs a browser in. */
  readyUrl: string;
  /** `http://127.0.0.1:PORT` */
  base: string;
  token: string;
  /** What it wrote so far. */
  output(): { stdout: string; stderr: string };
  /** `POST /api/OP` with the Bearer token. @returns the operation's value @throws on `{ ok: false }` */
  call<T = unknown>(op: string, input: unknown): Promise<T>;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/**
 * Starts `schedbench serve --db DB --port 0` (the real CLI; dist/ must be built) with `env` added
 * to this process's environment, and waits for the ready URL on the last line of its stdout.
 * @throws when it exits or prints no URL within 30 s
 */
export async function startServe(
  db: string,
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ServeProcess> {
  const child = startCli(['serve', '--db', db, '--port', '0', ...extraArgs], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  let line: string | undefined;
  while (!(line = /^(http:\/\/\S+)\n$/m.exec(stdout)?.[1])) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`no ready URL from schedbench serve:\n${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const ready = new URL(line);
  const token = ready.searchParams.get('token') ?? '';
  const base = ready.origin;
  return {
    child,
    readyUrl: ready.href,
    base,
    token,
    output: () => ({ stdout, stderr }),
    async call<T>(op: string, input: unknown): Promise<T> {
      const res = await fetch(`${base}/api/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(input),
      });
      const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
      if (!body.ok) throw new Error(`${op}: ${body.error?.message}`);
      return body.value as T;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}
