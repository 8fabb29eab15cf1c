import type { Readable, Writable } from 'node:stream';
import {
  PROTOCOL_VERSION,
  REPLY_TYPE,
  WorkerReplySchema,
  type HelloReply,
  type ReplyFor,
  type WorkerReply,
  type WorkerRequest,
} from './worker-protocol.js';

/** Why a worker request failed. */
export type WorkerErrorKind =
  /** the worker answered with an `error` reply (it keeps serving) */
  | 'reply'
  /** no reply within the request's timeout */
  | 'timeout'
  /** the worker process exited (or could not start) */
  | 'exit'
  /** a reply that does not follow protocol v1 (wrong shape, wrong type, wrong version) */
  | 'protocol';

/**
 * A failed worker request or a dead worker. `reason` is the cause alone (for an error reply: the
 * worker's own reason); `message` adds context. For `exit`, `exitCode`/`signal` tell how the process
 * ended and `stderrTail` holds its last stderr lines (also appended to `message`).
 */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  constructor(
    message: string,
    readonly kind: WorkerErrorKind,
    readonly reason: string = message,
    readonly details: {
      requestType?: string;
      exitCode?: number | null;
      signal?: string | null;
      stderrTail?: string;
    } = {},
  ) {
    super(message);
  }
}

/**
 * The child-process surface the client needs: satisfied by `node:child_process` ChildProcess and
 * by execa's subprocess (spawned with piped stdin, stdout and stderr).
 */
export interface WorkerProcess {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals | number): boolean;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** How a worker process ended. */
export interface WorkerExit {
  /** exit status, or null when killed by a signal */
  code: number | null;
  /** the terminating signal, e.g. `SIGKILL`, or null */
  signal: string | null;
}

/** Options of {@link WorkerClient}. */
export interface WorkerClientOptions {
  /** stderr lines kept for error messages (default 40). */
  stderrLines?: number;
  /** Default request timeout in milliseconds (default 120,000). */
  timeoutMs?: number;
  /** Label used in messages, e.g. `local worker` or `ssh gpu1` (default `worker`). */
  label?: string;
}

/** Characters kept of one stderr line (longer lines are cut). */
const MAX_LINE_CHARS = 2000;
/** Characters buffered of one stdout line before it is treated as a protocol violation. */
const MAX_REPLY_CHARS = 64 * 1024 * 1024;

interface Pending {
  expected: string;
  requestType: string;
  resolve: (reply: WorkerReply) => void;
  reject: (error: WorkerError) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A client of one worker process speaking protocol v1 over its stdin/stdout (JSON lines).
 *
 * Each {@link request} gets a fresh integer `id`; replies are matched by it and validated with
 * the zod schemas. A reply of type `error` rejects with a {@link WorkerError} (kind `reply`,
 * `reason` = the worker's reason) and the client stays usable. The process exiting rejects every
 * pending and later request (kind `exit`) with its exit code or signal and the last stderr lines
 * (a bounded tail). Replies that arrive after their request timed out are dropped.
 */
export class WorkerClient {
  /** The `hello` reply, once {@link handshake} succeeded. */
  info: HelloReply | undefined;
  /** Resolves when the process has exited and its stdio closed; never rejects. */
  readonly exited: Promise<WorkerExit>;

  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stdoutBuffer = '';
  private stderrBuffer = '';
  private readonly stderrTailLines: string[] = [];
  private readonly maxStderrLines: number;
  private readonly defaultTimeoutMs: number;
  private readonly label: string;
  private spawnError: Error | undefined;
  private exit: WorkerExit | undefined;

  constructor(
    readonly process: WorkerProcess,
    options: WorkerClientOptions = {},
  ) {
    this.maxStderrLines = options.stderrLines ?? 40;
    this.defaultTimeoutMs = options.timeoutMs ?? 120_000;
    this.label = options.label ?? 'worker';
    const { stdin, stdout, stderr } = process;
    if (!stdin || !stdout || !stderr) throw new Error('WorkerClient needs piped stdin, stdout and stderr');
    stdin.on('error', () => {
      // EPIPE after the worker died: reported through the process's exit instead.
    });
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => this.onStdout(chunk));
    stderr.setEncoding('utf8');
    stderr.on('data', (chunk: string) => this.onStderr(chunk));
    process.on('error', (error) => {
      this.spawnError = error;
    });
    this.exited = new Promise((resolve) => {
      process.on('close', (code, signal) => {
        if (this.stderrBuffer) this.pushStderrLine(this.stderrBuffer);
        this.stderrBuffer = '';
        this.exit = { code, signal };
        const error = this.exitError();
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          clearTimeout(p.timer);
          p.reject(error);
        }
        resolve(this.exit);
      });
    });
  }

  /** The worker's process id (undefined when it failed to start). */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** The last stderr lines (at most `stderrLines`), joined with newlines. */
  stderrTail(): string {
    const lines = this.stderrBuffer ? [...this.stderrTailLines, this.stderrBuffer] : this.stderrTailLines;
    return lines.slice(-this.maxStderrLines).join('\n');
  }

  /**
   * Sends one request and waits for its reply.
   * @param message a protocol-v1 request; its `id` is replaced by one the client assigns
   * @param options.timeoutMs milliseconds to wait for the reply (default: the client's timeoutMs)
   * @returns the validated successful reply for the request's type
   * @throws WorkerError kind `reply` (error reply, `reason` = the worker's), `timeout`, `exit`
   *   (the process ended; message has the code or signal and the stderr tail) or `protocol`
   */
  request<R extends WorkerRequest>(message: R, options: { timeoutMs?: number } = {}): Promise<ReplyFor<R>> {
    if (this.exit) return Promise.reject(this.exitError());
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<ReplyFor<R>>((resolve, reject) => {
      const entry: Pending = {
        expected: REPLY_TYPE[message.type],
        requestType: message.type,
        resolve: resolve as (reply: WorkerReply) => void,
        reject,
        timer: setTimeout(() => {
          if (!this.pending.delete(id)) return;
          const reason = `timeout: no reply to '${message.type}' (id ${id}) within ${timeoutMs} ms`;
          reject(
            new WorkerError(`${this.label}: ${reason}`, 'timeout', reason, { requestType: message.type }),
          );
        }, timeoutMs),
      };
      this.pending.set(id, entry);
      this.process.stdin!.write(`${JSON.stringify({ ...message, id })}\n`);
    });
  }

  /**
   * Sends `hello` and checks the protocol version; stores the reply in {@link info}.
   * @throws WorkerError kind `protocol` on a version mismatch, or as {@link request}
   */
  async handshake(timeoutMs?: number): Promise<HelloReply> {
    const hello = await this.request({ type: 'hello' }, timeoutMs === undefined ? {} : { timeoutMs });
    if (hello.protocol !== PROTOCOL_VERSION) {
      const reason = `protocol version ${hello.protocol}, this client speaks ${PROTOCOL_VERSION}`;
      throw new WorkerError(`${this.label}: ${reason}`, 'protocol', reason, { requestType: 'hello' });
    }
    this.info = hello;
    return hello;
  }

  /**
   * Stops the worker: sends `shutdown`, ends stdin, waits up to `graceMs` for the process to exit,
   * then sends SIGKILL and waits for it. Pending requests reject with kind `exit`. Idempotent.
   * @param graceMs milliseconds to wait for a clean exit (default 5,000)
   * @returns how the process ended
   */
  async close(graceMs = 5_000): Promise<WorkerExit> {
    if (!this.exit) {
      const stdin = this.process.stdin!;
      if (!stdin.destroyed && !stdin.writableEnded) {
        // Fire and forget: the reply (or the exit) settles it.
        this.request({ type: 'shutdown' }, { timeoutMs: graceMs }).catch(() => undefined);
        stdin.end();
      }
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!graceful) this.process.kill('SIGKILL');
    }
    return this.exited;
  }

  private exitError(): WorkerError {
    const exit = this.exit;
    const how = this.spawnError
      ? `could not start: ${this.spawnError.message}`
      : exit?.signal
        ? `killed by ${exit.signal}`
        : `exited with code ${exit?.code ?? 'unknown'}`;
    const tail = this.stderrTail();
    const reason = `worker process ${how}`;
    const message = `${this.label}: ${reason}${tail ? `; stderr tail:\n${tail}` : ' (no stderr output)'}`;
    return new WorkerError(message, 'exit', reason, {
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? null,
      stderrTail: tail,
    });
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let nl: number;
    while ((nl = this.stdoutBuffer.indexOf('\n')) >= 0) {
      const line = this.stdoutBuffer.slice(0, nl);
      this.stdoutBuffer = this.stdoutBuffer.slice(nl + 1);
      if (line.trim()) this.onLine(line);
    }
    if (this.stdoutBuffer.length > MAX_REPLY_CHARS) {
      this.stdoutBuffer = '';
      this.failAll(`a stdout line longer than ${MAX_REPLY_CHARS} characters`);
    }
  }

  private onLine(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.pushStderrLine(`[stdout, not JSON] ${line}`);
      return;
    }
    const rawId = (json as { id?: unknown } | null)?.id;
    const p = typeof rawId === 'number' ? this.pending.get(rawId) : undefined;
    if (!p) return; // a reply to a timed-out request, or an id-less error about a line we never sent
    this.pending.delete(rawId as number);
    clearTimeout(p.timer);
    const parsed = WorkerReplySchema.safeParse(json);
    if (!parsed.success) {
      const reason = `invalid '${p.requestType}' reply: ${parsed.error.message}`;
      p.reject(
        new WorkerError(`${this.label}: ${reason}`, 'protocol', reason, { requestType: p.requestType }),
      );
      return;
    }
    const reply = parsed.data;
    if (reply.type === 'error') {
      p.reject(
        new WorkerError(`${this.label}: ${p.requestType} failed: ${reply.reason}`, 'reply', reply.reason, {
          requestType: p.requestType,
        }),
      );
    } else if (reply.type !== p.expected) {
      const reason = `expected a '${p.expected}' reply to '${p.requestType}', got '${reply.type}'`;
      p.reject(
        new WorkerError(`${this.label}: ${reason}`, 'protocol', reason, { requestType: p.requestType }),
      );
    } else {
      p.resolve(reply);
    }
  }

  private failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(
        new WorkerError(`${this.label}: ${reason}`, 'protocol', reason, { requestType: p.requestType }),
      );
    }
  }

  private onStderr(chunk: string): void {
    this.stderrBuffer += chunk;
    let nl: number;
    while ((nl = this.stderrBuffer.indexOf('\n')) >= 0) {
      this.pushStderrLine(this.stderrBuffer.slice(0, nl));
      this.stderrBuffer = this.stderrBuffer.slice(nl + 1);
    }
    if (this.stderrBuffer.length > MAX_LINE_CHARS) {
      this.pushStderrLine(this.stderrBuffer);
      this.stderrBuffer = '';
    }
  }

  private pushStderrLine(line: string): void {
    this.stderrTailLines.push(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);
    if (this.stderrTailLines.length > this.maxStderrLines) this.stderrTailLines.shift();
  }
}
