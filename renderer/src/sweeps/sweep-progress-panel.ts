import type { ApiEvents, SweepProgressOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { formatDuration, formatNumber } from '../format.js';

/**
 * Live progress of one sweep, fed by `progress` events (and `sweeps.progress`): the run counts,
 * a progress bar, the ETA, and a row per running run with its requests finished, simulated
 * time, throughput so far and queue length. `ended` freezes it with the outcome.
 */
export class SweepProgressPanel {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly counts: HTMLElement;
  private readonly eta: HTMLElement;
  private readonly live: HTMLTableSectionElement;
  private readonly liveTable: HTMLTableElement;
  private readonly actions: HTMLElement;

  /**
   * @param sweepId the sweep shown
   * @param onCancel called by the panel's Cancel button
   */
  constructor(
    readonly sweepId: number,
    onCancel: (sweepId: number) => void,
  ) {
    this.title = h('strong', {}, `Sweep #${sweepId}`);
    this.bar = h('progress', { max: 1, value: 0 });
    this.counts = h('span', { class: 'progress-counts' });
    this.eta = h('span', { class: 'progress-eta' });
    this.live = h('tbody');
    this.actions = h(
      'div',
      { class: 'panel-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary outline',
          'data-action': 'cancel',
          onclick: () => onCancel(sweepId),
        },
        'Cancel',
      ),
    );
    this.liveTable = h(
      'table',
      { class: 'live-runs striped' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Running run'),
          h('th', {}, 'Requests done'),
          h('th', {}, 'Simulated time (s)'),
          h('th', {}, 'Throughput (tok/s)'),
          h('th', {}, 'Queue length'),
          h('th', {}, 'Running'),
        ),
      ),
      this.live,
    );
    this.element = h(
      'article',
      { class: 'sweep-progress', 'data-sweep': sweepId, 'data-state': 'active' },
      h('header', {}, this.title, h('span', { class: 'badge badge-active' }, 'running'), this.actions),
      this.bar,
      h('p', {}, this.counts, ' ', this.eta),
      this.liveTable,
    );
  }

  /** Shows a progress snapshot. */
  update(p: SweepProgressOut): void {
    if (this.element.dataset.state !== 'active') return; // ended: the last word stays
    this.title.textContent = `${p.name} (#${p.sweepId})`;
    const ended = p.counts.done + p.counts.failed;
    this.bar.max = Math.max(1, p.total);
    this.bar.value = ended;
    this.writeCounts(p.counts.done, p.counts.failed, p.counts.running, p.counts.queued, p.total);
    this.eta.textContent =
      p.etaS === null ? 'ETA: estimating\u2026' : `ETA: about ${formatDuration(p.etaS)} left`;
    this.live.replaceChildren(
      ...p.live.map((run) =>
        h(
          'tr',
          { 'data-run': run.runId },
          h('td', {}, `#${run.runId} ${run.label}`),
          h('td', {}, `${run.finished} / ${run.total}`),
          h('td', {}, formatNumber(run.simTimeS)),
          h('td', { 'data-live': 'throughput' }, formatNumber(run.throughputTokS)),
          h('td', { 'data-live': 'queue' }, String(run.queueLength)),
          h('td', {}, String(run.running)),
        ),
      ),
    );
    if (p.live.length === 0) {
      this.live.replaceChildren(
        h('tr', {}, h('td', { colspan: 6, class: 'note' }, 'no run in progress right now')),
      );
    }
  }

  /** Freezes the panel with how the execution ended. */
  ended(e: ApiEvents['ended']): void {
    this.element.dataset.state = e.cancelled ? 'cancelled' : 'ended';
    const badge = this.element.querySelector('.badge')!;
    badge.className = `badge ${e.cancelled ? 'badge-cancelled' : 'badge-done'}`;
    badge.textContent = e.cancelled ? 'cancelled' : 'finished';
    this.actions.replaceChildren();
    const total = Math.max(this.bar.max, e.done + e.failed);
    this.bar.max = Math.max(1, total);
    if (!e.cancelled) this.bar.value = e.done + e.failed;
    this.writeCounts(e.done, e.failed, 0, Math.max(0, total - e.done - e.failed), total);
    this.eta.textContent = e.cancelled ? 'Cancelled: resume it from the table.' : '';
    this.live.replaceChildren();
    this.liveTable.hidden = true;
  }

  private writeCounts(done: number, failed: number, running: number, queued: number, total: number): void {
    this.counts.replaceChildren(
      h('span', { 'data-count': 'done' }, `done ${done}`),
      ' \u00b7 ',
      h('span', { 'data-count': 'failed', class: failed > 0 ? 'bad' : '' }, `failed ${failed}`),
      ' \u00b7 ',
      h('span', { 'data-count': 'running' }, `running ${running}`),
      ' \u00b7 ',
      h('span', { 'data-count': 'queued' }, `queued ${queued}`),
      ` of ${total}`,
    );
  }
}
