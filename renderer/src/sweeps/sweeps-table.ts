import type { SweepSummary } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { formatDate } from '../format.js';
import { routeHash } from '../router.js';

/** What the table's buttons do. */
export interface SweepActions {
  cancel(sweepId: number): void;
  resume(sweepId: number): void;
}

/** Total runs of a sweep. */
export function sweepTotal(s: Pick<SweepSummary, 'counts'>): number {
  return s.counts.queued + s.counts.running + s.counts.done + s.counts.failed;
}

/**
 * The sweeps table: one row per sweep (newest first, as `sweeps.list` gives them) with its run
 * counts, an active flag, links to its detail and its runs, and Cancel (active) or Resume (not
 * active, runs not done) buttons.
 */
export function sweepsTable(sweeps: SweepSummary[], actions: SweepActions): HTMLElement {
  if (sweeps.length === 0) {
    return h('p', { class: 'note' }, 'No sweeps yet: start one below.');
  }
  const rows = sweeps.map((s) => {
    const total = sweepTotal(s);
    const state = s.active ? 'active' : s.counts.done === total ? 'complete' : 'incomplete';
    return h(
      'tr',
      { 'data-sweep': s.id, 'data-state': state },
      h('td', {}, String(s.id)),
      h(
        'td',
        {},
        h('a', { href: routeHash(`sweeps/${s.id}`) }, s.name),
        s.imported ? h('small', { class: 'badge' }, 'imported') : null,
      ),
      h('td', {}, s.machine),
      h('td', {}, formatDate(s.createdAt)),
      h('td', {}, formatDate(s.finishedAt)),
      h('td', {}, s.originHost ?? '-'),
      h(
        'td',
        { class: 'counts', 'data-counts': `${s.counts.done}/${total}` },
        h('span', { 'data-count': 'done' }, `${s.counts.done} done`),
        s.counts.failed > 0
          ? h('span', { class: 'bad', 'data-count': 'failed' }, ` \u00b7 ${s.counts.failed} failed`)
          : null,
        s.counts.running > 0
          ? h('span', { 'data-count': 'running' }, ` \u00b7 ${s.counts.running} running`)
          : null,
        s.counts.queued > 0
          ? h('span', { 'data-count': 'queued' }, ` \u00b7 ${s.counts.queued} queued`)
          : null,
        h('small', {}, ` of ${total}`),
      ),
      h('td', {}, h('span', { class: `badge badge-${state}` }, state)),
      h(
        'td',
        { class: 'actions' },
        h(
          'a',
          {
            href: routeHash('runs', { sweep: String(s.id) }),
            role: 'button',
            class: 'secondary outline small',
          },
          'Runs',
        ),
        s.active
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary small',
                'data-action': 'cancel',
                onclick: () => actions.cancel(s.id),
              },
              'Cancel',
            )
          : null,
        !s.active && s.counts.done < total
          ? h(
              'button',
              {
                type: 'button',
                class: 'small',
                'data-action': 'resume',
                onclick: () => actions.resume(s.id),
              },
              'Resume',
            )
          : null,
      ),
    );
  });
  return h(
    'table',
    { class: 'sweeps-table striped' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['ID', 'Name', 'Machine', 'Created', 'Finished', 'Origin host', 'Runs', 'State', ''].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h('tbody', {}, rows),
  );
}
