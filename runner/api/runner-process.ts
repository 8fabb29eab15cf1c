/**
 * Entry of the runner process that the desktop app starts (docs/architecture.md): opens the
 * database and serves the API over the process's message channel until the channel closes.
 *
 * Channel, by what the process was started with:
 * - Electron `utilityProcess.fork` (packaged app): `process.parentPort` messages;
 * - Node `child_process.fork` (development): the IPC channel (`process.send`, 'message');
 * - otherwise JSON lines on stdin/stdout (scripts, tests).
 *
 * Arguments: `--db FILE` (default: $SCHEDBENCH_DB or the user data directory), `--jobs N`.
 */
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { defaultDatabasePath } from '../store/default-database.js';
import { Store } from '../store/store.js';
import { createApiService } from './api-service.js';
import { serveApiOverMessages, type MessageChannelLike } from './message-server.js';

/** Electron's utilityProcess parent port, as far as this module uses it. */
interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function channelOfThisProcess(onClose: () => void): MessageChannelLike {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (listener) => parentPort.on('message', (e) => listener(e.data)),
    };
  }
  if (process.send) {
    process.on('disconnect', onClose);
    return {
      send: (m) => process.send!(m),
      onMessage: (listener) => process.on('message', listener),
    };
  }
  const lines = createInterface({ input: process.stdin });
  lines.on('close', onClose);
  return {
    send: (m) => process.stdout.write(`${JSON.stringify(m)}\n`),
    onMessage: (listener) =>
      lines.on('line', (line) => {
        if (!line.trim()) return;
        try {
          listener(JSON.parse(line));
        } catch {
          process.stderr.write(`runner: ignoring a line that is not JSON: ${line.slice(0, 200)}\n`);
        }
      }),
  };
}

const store = Store.open(argument('--db') ?? defaultDatabasePath());
const jobs = Number(argument('--jobs') ?? availableParallelism());
const api = createApiService(store, {
  jobs: Number.isInteger(jobs) && jobs > 0 ? jobs : 1,
  cwd: process.cwd(),
});
let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  void api
    .close()
    .finally(() => store.close())
    .finally(() => process.exit(0));
};
serveApiOverMessages(api, channelOfThisProcess(shutdown));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
