import { h } from '../dom.js';
import { formatDate } from '../format.js';
import type { Page } from '../page.js';
import { routeHash } from '../router.js';
import { exportButtons, SweepAnswer } from '../sweep-detail/sweep-answer.js';
import { sweepTotal } from '../sweeps/sweeps-table.js';
import { cancelSweep, ProgressPanels, resumeSweep } from './sweeps-page.js';

/**
 * One sweep, `#/sweeps/ID`: the answer first. Its head has the counts and state, Cancel / Resume,
 * links to its runs (table and Compare) and the exports (HTML report, CSV, JSON through
 * `export.report`; PDF by printing); then live progress while it runs; then the answer
 * (SweepAnswer: the verdict sentences, capacity first, the capacity table of a capacity search,
 * the summary by configuration, stability per configuration and rate, the charts against the
 * arrival rate with the fluid bound), reloaded when the sweep ends; then the facts, the spec
 * (`pre.spec`) and, collapsed, the machine stored with it.
 */
export const sweepDetailPage: Page = async (ctx) => {
  const sweepId = Number(ctx.route.rest[0]);
  const head = h('div', { class: 'page-head' }, h('h1', {}, `Sweep #${sweepId}`));
  const answer = new SweepAnswer(ctx);
  const exports = exportButtons(ctx, () => answer.exportRunIds());
  const details = h('div', { class: 'sweep-details', 'aria-busy': 'true' });
  const reload = async (): Promise<void> => {
    const sweep = await ctx.api.call('sweeps.get', { sweepId });
    if (!ctx.active) return;
    const total = sweepTotal(sweep);
    const state = sweep.active ? 'active' : sweep.counts.done === total ? 'complete' : 'incomplete';
    head.replaceChildren(
      h('h1', {}, `${sweep.name} `, h('small', {}, `sweep #${sweep.id}`)),
      h('span', { class: `badge badge-${state}` }, state),
      h(
        'div',
        { class: 'toolbar' },
        h(
          'a',
          { href: routeHash('runs', { sweep: String(sweep.id) }), role: 'button', class: 'secondary' },
          'Show its runs',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'data-action': 'compare-all',
            onclick: () => void compareAll(),
          },
          'Compare its runs',
        ),
        sweep.active
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                'data-action': 'cancel',
                onclick: () => void cancelSweep(ctx, sweep.id),
              },
              'Cancel',
            )
          : null,
        !sweep.active && sweep.counts.done < total
          ? h(
              'button',
              {
                type: 'button',
                'data-action': 'resume',
                onclick: () =>
                  void resumeSweep(ctx, sweep.id).then((ok) => {
                    if (ok)
                      void panels
                        .load(sweep.id)
                        .then(reload)
                        .catch((e: unknown) => ctx.showError(e));
                  }),
              },
              'Resume',
            )
          : null,
        h('span', { class: 'export-group no-print', 'aria-label': 'Export' }, exports),
      ),
    );
    details.removeAttribute('aria-busy');
    details.replaceChildren(
      h('h2', {}, 'The sweep'),
      h(
        'dl',
        { class: 'facts' },
        fact('Machine', sweep.machine),
        fact(
          'Runs',
          `${sweep.counts.done} done, ${sweep.counts.failed} failed, ${sweep.counts.running} running, ${sweep.counts.queued} queued (${total} in all)`,
        ),
        fact('Created', formatDate(sweep.createdAt)),
        fact('Finished', formatDate(sweep.finishedAt)),
        fact('Origin host', sweep.originHost ?? '-'),
        fact('Imported', sweep.imported ? 'yes' : 'no'),
        fact('Spec file', sweep.specPath ?? '(sent through the API)'),
      ),
      h(
        'details',
        { class: 'spec-details', open: true },
        h('summary', {}, 'Spec'),
        h('pre', { class: 'spec' }, sweep.specYaml),
      ),
      h(
        'details',
        { class: 'machine-details' },
        h('summary', {}, 'Machine (as stored with the sweep)'),
        h('pre', { class: 'machine-info' }, JSON.stringify(sweep.machineInfo, null, 2)),
      ),
    );
    await answer.load(sweep);
  };
  const compareAll = async (): Promise<void> => {
    try {
      const runs = await ctx.api.call('runs.list', { sweepIds: [sweepId], statuses: ['done'] });
      if (runs.length === 0) {
        ctx.showError(new Error(`sweep #${sweepId} has no finished run to compare yet`));
        return;
      }
      ctx.navigate(routeHash('compare', { runs: runs.map((r) => r.id).join(',') }));
    } catch (e) {
      ctx.showError(e, 'listing the runs of the sweep');
    }
  };
  const panels = new ProgressPanels(
    ctx,
    (id) => id === sweepId,
    () => void reload().catch((e: unknown) => ctx.showError(e)),
  );
  ctx.root.replaceChildren(head, panels.element, answer.element, details);
  await reload();
  await panels.load(sweepId);
};

function fact(term: string, value: string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}
