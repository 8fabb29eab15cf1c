/**
 * How a worker machine starts its Python worker: `local` runs it on this host
 * (runner/workers/local-worker.ts), `ssh` on another host over ssh (runner/workers/ssh-worker.ts).
 */
export type WorkerMachineKind = 'local' | 'ssh';

/** Every worker machine kind. */
export const WORKER_MACHINE_KINDS: readonly WorkerMachineKind[] = ['local', 'ssh'];

/**
 * ssh's StrictHostKeyChecking policy: `yes` (the host key must already be known), `accept-new`
 * (an unknown key is added, a changed one refused) or `no` (nothing is checked).
 */
export type HostKeyPolicy = 'yes' | 'accept-new' | 'no';

/** Every host key policy, strictest first. */
export const HOST_KEY_POLICIES: readonly HostKeyPolicy[] = ['yes', 'accept-new', 'no'];

/**
 * A stored worker machine, as read back from `worker_machines` (migrations/
 * 0003_worker_machines.sql). A null setting means the worker driver's default.
 */
export interface WorkerMachine {
  /** Unique name: non-empty, without '/', ':' or whitespace. */
  readonly name: string;
  readonly kind: WorkerMachineKind;
  /** Python interpreter with PyTorch on the machine; null = `/usr/bin/python3`. */
  readonly python: string | null;
  /** Host name or address; set exactly for `ssh` machines. */
  readonly host: string | null;
  /** Login name on the host; set exactly for `ssh` machines. */
  readonly user: string | null;
  /** SSH port, 1..65535; null = 22. Always null for `local` machines. */
  readonly port: number | null;
  /** Private key file (`ssh -i`); null = ssh's default keys. Always null for `local` machines. */
  readonly identityFile: string | null;
  /** known_hosts file; null = ssh's own. Always null for `local` machines. */
  readonly knownHostsFile: string | null;
  /** Host key policy of ssh machines; `yes` (and unused) for `local` machines. */
  readonly strictHostKeyChecking: HostKeyPolicy;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
}

/**
 * What addWorkerMachine stores: a WorkerMachine without createdAt. Omitted settings are null;
 * an omitted strictHostKeyChecking is `yes`.
 */
export interface NewWorkerMachine {
  /** Unique name: non-empty, without '/', ':' or whitespace. */
  readonly name: string;
  readonly kind: WorkerMachineKind;
  /** Python interpreter with PyTorch on the machine; null or omitted = `/usr/bin/python3`. */
  readonly python?: string | null;
  /** Host name or address; required for `ssh`, must be absent (or null) for `local`. */
  readonly host?: string | null;
  /** Login name on the host; required for `ssh`, must be absent (or null) for `local`. */
  readonly user?: string | null;
  /** SSH port, an integer 1..65535; null or omitted = 22. Only for `ssh`. */
  readonly port?: number | null;
  /** Private key file (`ssh -i`); null or omitted = ssh's default keys. Only for `ssh`. */
  readonly identityFile?: string | null;
  /** known_hosts file; null or omitted = ssh's own. Only for `ssh`. */
  readonly knownHostsFile?: string | null;
  /** Host key policy; omitted = `yes`. Only `yes` for `local` machines. */
  readonly strictHostKeyChecking?: HostKeyPolicy;
}
