/**
 * Waits `ms` milliseconds, or less when `signal` fires first: the polling pause of the executors
 * (a lease waited for, a Slurm array polled), which a cancel must not sit out.
 * @param ms the longest wait, ms
 * @param signal ends the wait at once when it fires (or has fired)
 */
export function abortablePause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
