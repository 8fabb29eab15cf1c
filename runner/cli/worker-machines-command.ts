import { InputError } from '../errors.js';
import { formatTable } from '../reports/runs-table.js';
import type { Store } from '../store/store.js';
import type { HostKeyPolicy, NewWorkerMachine, WorkerMachine } from '../store/worker-machine-row.js';
import { describeWorkerMachine, startWorker } from '../workers/start-worker.js';
import { WorkerError } from '../workers/worker-client.js';
import type { HelloReply } from '../workers/worker-protocol.js';

/** Options of `schedbench machines add`, as commander parses them. */
export interface AddMachineOptions {
  local?: boolean;
  /** `USER@HOST`. */
  ssh?: string;
  port?: number;
  identity?: string;
  knownHosts?: string;
  hostKeyChecking?: HostKeyPolicy;
  python?: string;
}

/**
 * `schedbench machines add NAME --local | --ssh USER@HOST`: registers a GPU worker machine.
 * Nothing is contacted (see `machines check`).
 * @returns the text to print
 * @throws InputError for a taken or invalid name, both or neither of --local and --ssh, a
 *   malformed USER@HOST, or ssh-only options on a local machine
 */
export function addMachineCommand(store: Store, name: string, o: AddMachineOptions): string {
  if (Boolean(o.local) === (o.ssh !== undefined)) {
    throw new InputError('machines add: give exactly one of --local and --ssh USER@HOST', { field: '--ssh' });
  }
  let machine: NewWorkerMachine;
  if (o.local) {
    const sshOnly = (['port', 'identity', 'knownHosts', 'hostKeyChecking'] as const).find(
      (k) => o[k] !== undefined,
    );
    if (sshOnly) {
      throw new InputError(`machines add: --${kebab(sshOnly)} applies to --ssh machines only`, {
        field: `--${kebab(sshOnly)}`,
      });
    }
    machine = { name, kind: 'local', python: o.python ?? null };
  } else {
    const match = /^([^@\s]+)@([^@\s]+)$/.exec(o.ssh!);
    if (!match) {
      throw new InputError(`machines add: --ssh must be USER@HOST, got "${o.ssh}"`, { field: '--ssh' });
    }
    machine = {
      name,
      kind: 'ssh',
      user: match[1],
      host: match[2],
      port: o.port ?? null,
      identityFile: o.identity ?? null,
      knownHostsFile: o.knownHosts ?? null,
      strictHostKeyChecking: o.hostKeyChecking ?? 'yes',
      python: o.python ?? null,
    };
  }
  const stored = store.addWorkerMachine(machine);
  return `added ${stored.name}: ${describeWorkerMachine(stored)}; check it with \`schedbench machines check ${stored.name}\`\n`;
}

/**
 * The registered machine called `name`.
 * @throws InputError naming the registered machines when there is none
 */
export function registeredMachine(store: Store, name: string): WorkerMachine {
  const machine = store.getWorkerMachine(name);
  if (!machine) {
    const known = store.listWorkerMachines().map((m) => m.name);
    throw new InputError(
      `unknown worker machine "${name}" (registered: ${known.length > 0 ? known.join(', ') : 'none'}); ` +
        'add it with `schedbench machines add`',
      { field: 'NAME' },
    );
  }
  return machine;
}

/** Outcome of `machines check`. */
export interface CheckOutcome {
  ok: boolean;
  /** What to print on stdout (the `hello` reply) or stderr (why it failed). */
  text: string;
}

/**
 * `schedbench machines check NAME`: starts the machine's worker (copying its code over ssh when
 * missing), prints its `hello` (protocol, Python, torch, device, GPU and memory, dtypes), stops it.
 * @returns ok false with ssh's or the worker's message when it cannot be reached or started
 * @throws InputError for an unknown machine
 */
export async function checkMachineCommand(store: Store, name: string): Promise<CheckOutcome> {
  const machine = registeredMachine(store, name);
  let hello: HelloReply;
  try {
    const client = await startWorker(machine, { helloTimeoutMs: 120_000 });
    hello = client.info!;
    await client.close();
  } catch (error) {
    if (!(error instanceof WorkerError)) throw error;
    return { ok: false, text: `machine ${name} (${describeWorkerMachine(machine)}): ${error.message}\n` };
  }
  const memory =
    hello.gpu_memory_bytes === null ? '' : ` (${(hello.gpu_memory_bytes / 2 ** 30).toFixed(1)} GiB)`;
  const lines = [
    `machine ${name}: ${describeWorkerMachine(machine)}`,
    `protocol ${hello.protocol}, Python ${hello.python}, torch ${hello.torch}`,
    `device ${hello.device}${hello.gpu_name ? `: ${hello.gpu_name}${memory}` : ''}`,
    `dtypes ${hello.dtypes.join(', ')}; scaled_dot_product_attention ${hello.sdpa ? 'yes' : 'no'}`,
    `model presets ${hello.presets.join(', ')}`,
    JSON.stringify(hello),
  ];
  return { ok: true, text: `${lines.join('\n')}\n` };
}

/**
 * `schedbench machines remove NAME`: forgets a worker machine (its calibrations and runs stay).
 * @throws InputError for an unknown machine
 */
export function removeMachineCommand(store: Store, name: string): string {
  registeredMachine(store, name);
  store.removeWorkerMachine(name);
  return `removed ${name}\n`;
}

/**
 * The worker machines and their calibrations, for `schedbench machines list` (after the
 * simulated machines).
 * @returns table text, or the rows for JSON
 */
export function workerMachinesSection(store: Store): { text: string; json: unknown } {
  return workersSectionOf(store.listWorkerMachines(), store.listCalibrations());
}

/** workerMachinesSection of a database that has no worker machine or calibration (or no database). */
export function emptyWorkersSection(): { text: string; json: unknown } {
  return workersSectionOf([], []);
}

function workersSectionOf(
  machines: ReturnType<Store['listWorkerMachines']>,
  calibrations: ReturnType<Store['listCalibrations']>,
): { text: string; json: unknown } {
  const json = {
    workers: machines,
    calibrations: calibrations.map((c) => ({ ...c, machine_ref: `profile:${c.machine}/${c.model}` })),
  };
  const workerRows = machines.map((m) => ({
    name: m.name,
    kind: m.kind,
    reached_by: describeWorkerMachine(m),
    host_key_checking: m.kind === 'ssh' ? m.strictHostKeyChecking : '-',
    added: m.createdAt.slice(0, 19),
  }));
  const calibrationRows = calibrations.map((c) => {
    const heldOut = (c.fit as { heldOut?: { profile?: { meanAbsPct?: number } } }).heldOut?.profile
      ?.meanAbsPct;
    return {
      machine: `profile:${c.machine}/${c.model}`,
      dtype: c.dtype,
      gpu: c.gpuName ?? c.device,
      torch: c.torch,
      kv_blocks: c.kvBlocks,
      held_out_error_pct: heldOut ?? null,
      date: c.createdAt.slice(0, 19),
    };
  });
  const text =
    `\nGPU worker machines (schedbench machines add):\n` +
    (workerRows.length > 0 ? formatTable(workerRows) : '  none') +
    `\n\nCalibrated machines (schedbench profile; use as machine: profile:NAME/MODEL):\n` +
    (calibrationRows.length > 0 ? formatTable(calibrationRows) : '  none') +
    '\n';
  return { text, json };
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
