import type { MachinesOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { formatDate, formatNumber } from '../format.js';
import type { Page } from '../page.js';

/**
 * The Machines page (`machines.list`): the built-in simulated machines with their KV capacity,
 * iteration-time model and its linear fit (d0, d1: the fluid benchmark's inputs), the GPU
 * worker machines and their calibrations.
 */
export const machinesPage: Page = async (ctx) => {
  const body = h('div', { 'aria-busy': 'true' });
  ctx.root.replaceChildren(h('div', { class: 'page-head' }, h('h1', {}, 'Machines')), body);
  const machines = await ctx.api.call('machines.list', {});
  if (!ctx.active) return;
  body.removeAttribute('aria-busy');
  body.replaceChildren(
    h(
      'section',
      {},
      h('h2', {}, `Simulated machines (${machines.simulated.length})`),
      h(
        'p',
        { class: 'hint' },
        'Iteration time \u03c4 = d0 + d1 \u00b7 (KV tokens touched by the batch) is the linear fit the fluid benchmark uses (docs/linear-fit.md); "exact" means the machine is that linear model.',
      ),
      h('div', { class: 'scroll-box flow' }, simulatedTable(machines.simulated)),
    ),
    h(
      'section',
      {},
      h('h2', {}, `GPU worker machines (${machines.workers.length})`),
      machines.workers.length === 0
        ? h(
            'p',
            { class: 'note' },
            'None registered. Add one with ',
            h('code', {}, 'schedbench machines add NAME --local'),
            ' (or --ssh USER@HOST) and calibrate it with ',
            h('code', {}, 'schedbench profile NAME'),
            '.',
          )
        : table(
            ['Name', 'Kind', 'Reached by', 'Added'],
            machines.workers.map((w) => [w.name, w.kind, w.reachedBy, formatDate(w.createdAt)]),
            'workers',
          ),
    ),
    h(
      'section',
      {},
      h('h2', {}, `Calibrations (${machines.calibrations.length})`),
      machines.calibrations.length === 0
        ? h(
            'p',
            { class: 'note' },
            'No calibration yet: ',
            h('code', {}, 'schedbench profile NAME'),
            ' times a grid of batches on a worker machine and stores the fitted model.',
          )
        : table(
            ['ID', 'Machine reference', 'GPU', 'dtype', 'torch', 'KV blocks', 'Held-out error', 'Created'],
            machines.calibrations.map((c) => [
              String(c.id),
              c.machineRef,
              c.gpu,
              c.dtype,
              c.torch,
              String(c.kvBlocks),
              c.heldOutErrorPct === null ? '-' : `${formatNumber(c.heldOutErrorPct)} %`,
              formatDate(c.createdAt),
            ]),
            'calibrations',
          ),
    ),
  );
};

function simulatedTable(list: MachinesOut['simulated']): HTMLElement {
  return h(
    'table',
    { class: 'machines striped' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Name', 'GPU / model', 'KV capacity', 'Iteration-time model', 'Linear fit'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      list.map((m) =>
        h(
          'tr',
          { 'data-machine': m.name },
          h('td', {}, h('strong', {}, m.name), h('br'), h('small', {}, m.description)),
          h('td', {}, m.gpu ?? '-', h('br'), h('small', {}, m.model ?? '')),
          h(
            'td',
            { class: 'num' },
            `${m.kvCapacityBlocks.toLocaleString('en-US')} blocks`,
            h('br'),
            h(
              'small',
              {},
              `\u00d7 ${m.blockSize} = ${(m.kvCapacityBlocks * m.blockSize).toLocaleString('en-US')} tokens`,
            ),
          ),
          h('td', {}, iterationModel(m.iterationTime)),
          h(
            'td',
            { class: 'linear-fit' },
            h('div', {}, `d0 = ${m.linear.d0 === null ? '-' : `${formatNumber(m.linear.d0 * 1000)} ms`}`),
            h(
              'div',
              {},
              `d1 = ${m.linear.d1 === null ? '-' : `${formatNumber(m.linear.d1 * 1e6)} \u00b5s/token`}`,
            ),
            h('small', {}, m.linear.exact ? 'exact' : `fit, R\u00b2 = ${formatNumber(m.linear.r2)}`),
          ),
        ),
      ),
    ),
  );
}

/** The iteration-time model's description: the model kind, then the other fields. */
function iterationModel(description: Record<string, number | string>): HTMLElement {
  const entries = Object.entries(description).filter(([key]) => key !== 'model');
  return h(
    'details',
    { class: 'model' },
    h('summary', {}, String(description.model ?? 'model')),
    h(
      'dl',
      {},
      entries.flatMap(([key, value]) => [
        h('dt', {}, key),
        h('dd', {}, typeof value === 'number' ? formatNumber(value) : value),
      ]),
    ),
  );
}

function table(headers: string[], rows: string[][], name: string): HTMLElement {
  return h(
    'div',
    { class: 'scroll-box flow' },
    h(
      'table',
      { class: `striped ${name}` },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((c) => h('td', {}, c)),
          ),
        ),
      ),
    ),
  );
}
