import cliProgress from 'cli-progress';
import type { SweepProgress } from '../sweeps/sweep-executor.js';

/**
 * Shows sweep progress on stderr: a progress bar with ETA on a terminal (cli-progress), plain
 * lines otherwise (logs, CI, pipes).
 */
export class SweepProgressReporter {
  private bar: cliProgress.SingleBar | undefined;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Called once before the first run. */
  begin(total: number, alreadyDone: number, sweepId: number, resumed: boolean): void {
    const what = resumed
      ? `resuming sweep ${sweepId} (${alreadyDone} run(s) already done)`
      : `sweep ${sweepId}`;
    this.stream.write(`${what}: ${total} run(s) to execute\n`);
    if (total > 0 && this.stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format:
            '{bar} {value}/{total} runs | {failed} failed | {running} running | ETA {eta_formatted} | {last}',
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { failed: 0, running: 0, last: '' });
    }
  }

  /** One progress event. */
  update(p: SweepProgress): void {
    if (this.bar) {
      this.bar.update(p.ended, {
        failed: p.failed,
        running: p.running,
        last: p.kind === 'start' ? `started ${p.label}` : `${p.kind} ${p.label}`,
      });
      return;
    }
    if (p.kind === 'start') return;
    const detail =
      p.kind === 'done'
        ? `${(p.simWallS ?? 0).toFixed(2)} s`
        : p.kind === 'requeued'
          ? 'interrupted, queued again'
          : `FAILED: ${p.error}`;
    this.stream.write(`[${p.ended}/${p.total}] run ${p.runId} ${p.label}: ${detail}\n`);
  }

  /** Called once at the end. */
  end(): void {
    this.bar?.stop();
  }
}
