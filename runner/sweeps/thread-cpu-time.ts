import { readFileSync } from 'node:fs';

/** `process.threadCpuUsage` of Node >= 23.9: CPU microseconds of the calling thread. */
type ThreadCpuUsage = () => { user: number; system: number };

/** Where threadCpuSeconds reads its clock; decided at the first call. */
let source: 'node' | 'proc' | 'none' | undefined;

/** The first field of /proc/thread-self/schedstat: nanoseconds the calling thread ran on a CPU. */
function schedstatSeconds(): number | null {
  const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
  const ns = Number(text.slice(0, text.indexOf(' ')));
  return Number.isFinite(ns) && ns >= 0 ? ns / 1e9 : null;
}

/**
 * CPU seconds the calling thread (the main thread, or the worker thread that calls it) has run
 * so far, user and system time together: unlike wall time it does not grow while the thread
 * waits for a core on a loaded machine. The difference of two readings is the CPU time of the
 * code between them.
 *
 * Source, the first available: `process.threadCpuUsage()` (Node >= 23.9, microseconds); on Linux
 * the first field of `/proc/thread-self/schedstat` (nanoseconds on CPU of the reading thread;
 * Linux `Documentation/scheduler/sched-stats.rst`; readFileSync runs on the calling thread, so a
 * worker thread reads its own; the kernel updates it at scheduler ticks and context switches, so
 * it resolves a few milliseconds); else none.
 * @returns seconds since an arbitrary origin fixed per thread, or null where no source exists
 */
export function threadCpuSeconds(): number | null {
  if (source === undefined) {
    const usage = (process as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;
    if (typeof usage === 'function') source = 'node';
    else {
      try {
        source = schedstatSeconds() === null ? 'none' : 'proc';
      } catch {
        source = 'none';
      }
    }
  }
  if (source === 'node') {
    const u = (process as unknown as { threadCpuUsage: ThreadCpuUsage }).threadCpuUsage();
    return (u.user + u.system) / 1e6;
  }
  if (source === 'proc') {
    try {
      return schedstatSeconds();
    } catch {
      return null;
    }
  }
  return null;
}
