import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Process inspection through /proc (Linux), for tests that check which processes a command
 * leaves behind. A zombie (exited, awaiting its parent) counts as gone everywhere.
 */

/** The fields of /proc/PID/stat after the command name: state, then ppid. */
function stat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Whether process `pid` runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** Whether `pid` is gone within `ms` (a killed process with much memory takes a moment to exit). */
export async function goneWithin(pid: number, ms = 5_000): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(50)) {
    if (!alive(pid)) return true;
  }
  return !alive(pid);
}

/** The argument vector of `pid` (empty for a kernel thread, a zombie, or a process that is gone). */
export function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return [];
  }
}

/** The working directory of `pid`, if it can be read. */
export function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** Live processes whose argument vector satisfies `match`, by PID. */
export function processesWhere(match: (argv: string[], pid: number) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const argv = argvOf(pid);
    if (argv.length > 0 && match(argv, pid) && alive(pid)) pids.push(pid);
  }
  return pids.sort((a, b) => a - b);
}

/** Whether `ancestor` is a (transitive) parent of `pid`. */
export function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = stat(pid)?.ppid, hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
    if (p === ancestor) return true;
    p = stat(p)?.ppid;
  }
  return false;
}

/**
 * Live `python -m schedbench_worker` processes (local or started over ssh); not the shell that
 * starts one, nor a `grep schedbench_worker` that looks for one.
 */
export function workerPids(): number[] {
  return processesWhere((argv) => argv[1] === '-m' && argv[2] === 'schedbench_worker');
}

/**
 * How many write system calls `pid` has made (/proc/PID/io `syscw`; 0 when unreadable). A worker
 * writes one reply per request, so this counts its answers once its imports are done.
 */
export function writeSyscalls(pid: number): number {
  return ioCounter(pid, 'syscw');
}

/**
 * How many read system calls `pid` has made (/proc/PID/io `syscr`; 0 when unreadable). An idle
 * worker blocks reading its standard input, so a change tells that it has read a request.
 */
export function readSyscalls(pid: number): number {
  return ioCounter(pid, 'syscr');
}

/** One counter of /proc/PID/io (proc(5)), or 0 when it cannot be read. */
function ioCounter(pid: number, field: 'syscr' | 'syscw'): number {
  try {
    const m = new RegExp(`^${field}: (\\d+)$`, 'm').exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
