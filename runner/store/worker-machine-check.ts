import { InputError } from '../errors.js';
import { HOST_KEY_POLICIES, WORKER_MACHINE_KINDS } from './worker-machine-row.js';
import type { HostKeyPolicy, NewWorkerMachine, WorkerMachine } from './worker-machine-row.js';

/**
 * A valid worker machine name: at least one character, none of them '/', ':' or whitespace
 * (JavaScript's `\s`, the same set the `worker_machines.name` CHECK of
 * migrations/0003_worker_machines.sql lists by code point).
 */
const MACHINE_NAME = /^[^\s/:]+$/;

/** The settings only an `ssh` machine may have (besides strictHostKeyChecking). */
const SSH_ONLY = ['host', 'user', 'port', 'identityFile', 'knownHostsFile'] as const;

/**
 * Whether `name` can name a worker machine: a non-empty string without '/', ':' or whitespace.
 *
 * @param name the candidate name
 */
export function isValidMachineName(name: unknown): name is string {
  return typeof name === 'string' && MACHINE_NAME.test(name);
}

/**
 * Validates a worker machine before it is stored and fills in the defaults: omitted settings
 * become null, an omitted strictHostKeyChecking becomes `yes`. Mirrors the CHECKs of
 * `worker_machines` (migrations/0003_worker_machines.sql), so the database never has to reject
 * a machine with its less readable messages.
 *
 * @param m the machine as given (from the CLI, typically)
 * @returns every column of the machine except createdAt
 * @throws InputError naming the machine and the field (also in `location.field`) when the name
 *   is empty or holds '/', ':' or whitespace, the kind is not `local` or `ssh`, a string setting
 *   is empty (or, for host and user, holds whitespace; user also '@'), the port is not an integer
 *   1..65535, the host key policy is unknown, an `ssh` machine lacks its host or user, or a
 *   `local` machine has an ssh setting
 */
export function checkWorkerMachine(m: NewWorkerMachine): Omit<WorkerMachine, 'createdAt'> {
  if (!isValidMachineName(m.name)) {
    throw new InputError(
      `machine name ${JSON.stringify(m.name)} is invalid: it must be non-empty and contain no '/', ':' or whitespace`,
      { field: 'name' },
    );
  }
  const what = `machine "${m.name}"`;
  const fail = (field: string, problem: string): never => {
    throw new InputError(`${what}: ${problem}`, { field });
  };
  if (!WORKER_MACHINE_KINDS.includes(m.kind)) {
    fail('kind', `kind must be "local" or "ssh", not ${JSON.stringify(m.kind)}`);
  }
  /** A string setting: null when omitted, else non-empty and free of `forbidden`. */
  const text = (
    field: keyof NewWorkerMachine,
    forbidden?: { pattern: RegExp; rule: string },
  ): string | null => {
    const value: unknown = m[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || value.length === 0) {
      return fail(field, `${field} must be a non-empty string`);
    }
    if (forbidden !== undefined && forbidden.pattern.test(value)) {
      return fail(field, `${field} ${JSON.stringify(value)} must not contain ${forbidden.rule}`);
    }
    return value;
  };
  const port = (): number | null => {
    const value: unknown = m.port;
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
      return fail('port', `port ${String(value)} must be an integer from 1 to 65535`);
    }
    return value;
  };
  const policy = (): HostKeyPolicy => {
    const value = m.strictHostKeyChecking ?? 'yes';
    if (!HOST_KEY_POLICIES.includes(value)) {
      return fail(
        'strictHostKeyChecking',
        `strictHostKeyChecking must be "yes", "accept-new" or "no", not ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const machine: Omit<WorkerMachine, 'createdAt'> = {
    name: m.name,
    kind: m.kind,
    python: text('python'),
    host: text('host', { pattern: /\s/, rule: 'whitespace' }),
    user: text('user', { pattern: /[\s@]/, rule: "whitespace or '@'" }),
    port: port(),
    identityFile: text('identityFile'),
    knownHostsFile: text('knownHostsFile'),
    strictHostKeyChecking: policy(),
  };
  if (machine.kind === 'ssh') {
    if (machine.host === null) fail('host', 'an ssh machine needs a host');
    if (machine.user === null) fail('user', 'an ssh machine needs a user');
  } else {
    for (const field of SSH_ONLY) {
      if (machine[field] !== null) fail(field, `${field} is only for ssh machines; a local machine has none`);
    }
    if (machine.strictHostKeyChecking !== 'yes') {
      fail(
        'strictHostKeyChecking',
        'strictHostKeyChecking is only for ssh machines; a local machine has none',
      );
    }
  }
  return machine;
}
