import { h } from '../dom.js';
import type { Page } from '../page.js';
import { parseIds, routeHash } from '../router.js';
import { runRow } from '../runs/run-row.js';
import { RunsTable } from '../runs/runs-table.js';

/** Most runs the Compare page is asked for at once (runs.compare's limit). */
const MAX_COMPARE = 5000;

/** Least seconds between two reloads while sweeps run (progress events come several a second). */
const RELOAD_EVERY_S = 2;

/**
 * The landing page: every run across sweeps and machines (`runs.list`) in a Tabulator table
 * with header filters, sorting and multi-select; "Compare selected" opens the Compare page for
 * the selected run ids. `#/runs?sweep=ID` shows one sweep's runs. Runs of running sweeps appear
 * as they end (progress events reload the list at most every RELOAD_EVERY_S seconds).
 */
export const runsPage: Page = async (ctx) => {
  const sweepId = parseIds(ctx.route.params.get('sweep'))[0];
  const count = h('span', { class: 'runs-count', 'data-testid': 'runs-count' }, 'loading\u2026');
  const selected = h('span', { class: 'selected-count' }, 'none selected');
  const compare = h(
    'button',
    { type: 'button', 'data-action': 'compare', disabled: true, onclick: () => go() },
    'Compare selected',
  );
  const clear = h(
    'button',
    { type: 'button', class: 'secondary outline', disabled: true, onclick: () => table?.clearSelection() },
    'Clear selection',
  );
  const clearFilters = h(
    'button',
    {
      type: 'button',
      class: 'secondary outline',
      'data-action': 'clear-filters',
      onclick: () => table?.clearFilters(),
    },
    'Clear filters',
  );
  const holder = h('div', { class: 'runs-table', 'aria-busy': 'true' });
  ctx.root.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Runs'),
      sweepId
        ? h(
            'a',
            { href: routeHash('runs'), class: 'chip', title: 'Show every sweep' },
            `sweep #${sweepId} \u2715`,
          )
        : null,
      h('div', { class: 'toolbar' }, count, clearFilters, selected, clear, compare),
    ),
    h(
      'p',
      { class: 'hint' },
      'Click a row to select it, ctrl-click to add one, shift-click (row or checkbox) to select a range. Filters in the header: rate takes 4, >=2 or 2..8; date takes 2025-06 or >=2025-06-01.',
    ),
    holder,
  );

  let selection: number[] = [];
  const go = (): void => {
    if (selection.length === 0) return;
    ctx.navigate(routeHash('compare', { runs: selection.slice(0, MAX_COMPARE).join(',') }));
  };
  const load = async () =>
    (await ctx.api.call('runs.list', sweepId ? { sweepIds: [sweepId] } : {})).map(runRow);

  const rows = await load();
  if (!ctx.active) return;
  holder.removeAttribute('aria-busy');
  const table: RunsTable = new RunsTable(holder, rows, {
    onSelection(ids) {
      selection = ids;
      compare.disabled = ids.length === 0;
      clear.disabled = ids.length === 0;
      compare.textContent = ids.length > 0 ? `Compare selected (${ids.length})` : 'Compare selected';
      selected.textContent = ids.length > 0 ? `${ids.length} selected` : 'none selected';
    },
    onFiltered(shown, total) {
      count.textContent = shown === total ? `${total} runs` : `${shown} of ${total} runs shown`;
    },
  });
  ctx.onDispose(() => table.destroy());
  await table.ready();
  holder.dataset.ready = 'true';

  // Reload while sweeps run: the runs that ended since appear, running ones change status.
  let timer: number | undefined;
  let lastReload = 0;
  const reload = (): void => {
    if (timer !== undefined) return;
    const wait = Math.max(0, lastReload + RELOAD_EVERY_S * 1000 - Date.now());
    timer = window.setTimeout(() => {
      timer = undefined;
      lastReload = Date.now();
      load()
        .then((fresh) => (ctx.active ? table.update(fresh) : undefined))
        .catch((e: unknown) => ctx.showError(e, 'reloading the runs'));
    }, wait);
  };
  ctx.onDispose(() => window.clearTimeout(timer));
  ctx.onDispose(ctx.api.onEvent('progress', reload));
  ctx.onDispose(ctx.api.onEvent('ended', reload));
};
