import cliProgress from 'cli-progress';
import type { SweepProgress } from '../sweeps/sweep-executor.js';

/** What the progress line shows. */
export interface ProgressState {
  /** Runs ended (done or failed) of `total`. */
  value: number;
  total: number;
  failed: number;
  running: number;
  /** Seconds since the first run started. */
  elapsedS: number;
  /** The latest event, e.g. `done vllm azure-conv rate=2 seed=1`. */
  last: string;
}

/** A duration as `42s`, `3m05s` or `2h07m`; `-` for a negative or non-finite one. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${two(Math.round((s % 3600) / 60) % 60)}m`;
}

/**
 * Seconds left, from the mean time per ended run so far; undefined until a run has ended (or
 * when the estimate is not a finite number).
 */
export function etaSeconds(state: Pick<ProgressState, 'value' | 'total' | 'elapsedS'>): number | undefined {
  if (state.value >= state.total) return 0;
  if (state.value <= 0 || !(state.elapsedS >= 0)) return undefined;
  const eta = (state.elapsedS / state.value) * (state.total - state.value);
  return Number.isFinite(eta) ? eta : undefined;
}

/**
 * The progress line of a sweep on a terminal `width` characters wide: a bar, the counts and the
 * ETA (`ETA -` until a run has ended), then the latest event, cut with `…` to fit. The line is at
 * most `width - 1` characters (the last column stays free, so that no terminal wraps it); on a
 * narrow terminal the bar narrows, then goes, and the counts get shorter, so that the ETA stays.
 */
export function progressLine(state: ProgressState, width: number): string {
  const room = Math.max(20, Math.floor(width)) - 1;
  const left = etaSeconds(state);
  const eta = `ETA ${left === undefined ? '-' : formatDuration(left)}`;
  const failed = state.failed > 0 ? `, ${state.failed} failed` : '';
  // The counts in words, shorter on a narrow terminal.
  const forms = [
    `${state.value}/${state.total} runs${failed}, ${state.running} running, ${eta}`,
    `${state.value}/${state.total}${failed}, ${eta}`,
    `${state.value}/${state.total} ${eta}`,
  ];
  const stats = forms.find((f) => f.length <= room) ?? forms[forms.length - 1];
  // The bar takes what the counts and 30 characters of the event leave, 10 to 24 characters.
  const barWidth = Math.min(24, room - stats.length - 1 - 30);
  let line = stats;
  if (barWidth >= 10) {
    const fraction = state.total > 0 ? Math.min(1, Math.max(0, state.value / state.total)) : 0;
    const full = Math.round(fraction * barWidth);
    line = `${'\u2588'.repeat(full)}${'\u2591'.repeat(barWidth - full)} ${stats}`;
  }
  const labelRoom = room - line.length - 3;
  if (state.last !== '' && labelRoom >= 10) {
    const label = state.last.length > labelRoom ? `${state.last.slice(0, labelRoom - 1)}…` : state.last;
    line += ` | ${label}`;
  }
  return line.length > room ? line.slice(0, room) : line;
}

/**
 * Shows sweep progress on stderr: a progress bar with ETA on a terminal (cli-progress, as wide as
 * the terminal), plain lines otherwise (logs, CI, pipes).
 */
export class SweepProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  private total = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Called once before the first run. */
  begin(total: number, alreadyDone: number, sweepId: number, resumed: boolean): void {
    const what = resumed
      ? `resuming sweep ${sweepId} (${alreadyDone} run(s) already done)`
      : `sweep ${sweepId}`;
    this.stream.write(`${what}: ${total} run(s) to execute\n`);
    this.total = total;
    if (total > 0 && this.stream.isTTY) {
      this.bar = new cliProgress.SingleBar({
        stream: this.stream,
        format: (_options, params, payload: { failed: number; running: number; last: string }) =>
          progressLine(
            {
              value: params.value,
              total: params.total,
              failed: payload.failed,
              running: payload.running,
              elapsedS: ((params.stopTime ?? Date.now()) - params.startTime) / 1000,
              last: payload.last,
            },
            this.stream.columns || 80,
          ),
        hideCursor: true,
      });
      this.bar.start(total, 0, { failed: 0, running: 0, last: '' });
    }
  }

  /** One progress event. */
  update(p: SweepProgress): void {
    if (this.bar) {
      // A capacity search that ends early lowers the total.
      if (p.total !== this.total) {
        this.total = p.total;
        this.bar.setTotal(p.total);
      }
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

  /** Called once at the end (again is harmless). */
  end(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
