import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds each live thread of this process has run, by Linux thread id; empty off Linux. */
export type ThreadCpu = Map<number, number>;

/**
 * Reads, for every thread of this process, the first field of `/proc/self/task/<tid>/schedstat`
 * (nanoseconds on a CPU; Linux `Documentation/scheduler/sched-stats.rst`). A thread that exits
 * takes its count with it, so read before destroying the threads you want to account for.
 * @returns CPU seconds by thread id; an empty map where /proc is missing (not Linux)
 */
export function threadCpu(): ThreadCpu {
  const out: ThreadCpu = new Map();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1');
      out.set(Number(tid), Number(text.slice(0, text.indexOf(' '))) / 1e9);
    } catch {
      // the thread exited between the listing and the read
    }
  }
  return out;
}

/** Where a process's CPU went between two readings, seconds. */
export interface CpuSplit {
  /** The main thread (thread id = process id): planning, storing, dispatching. */
  main: number;
  /** Threads that did not exist at `baseline` (a sweep's run threads, started after it). */
  started: number;
  /** Every other thread: V8's platform threads (JIT compilation, GC helpers), libuv's pool. */
  helpers: number;
}

/**
 * Splits the CPU time between readings `from` and `to` into the main thread, the threads started
 * after `baseline` (taken before the run threads were started), and the process's other threads.
 * Threads that exited before `to` are not counted.
 */
export function splitCpu(baseline: ThreadCpu, from: ThreadCpu, to: ThreadCpu): CpuSplit {
  const split: CpuSplit = { main: 0, started: 0, helpers: 0 };
  for (const [tid, seconds] of to) {
    const spent = seconds - (from.get(tid) ?? 0);
    if (tid === process.pid) split.main += spent;
    else if (baseline.has(tid)) split.helpers += spent;
    else split.started += spent;
  }
  return split;
}
