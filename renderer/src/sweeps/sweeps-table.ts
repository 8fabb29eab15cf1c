import type { SweepSummary } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import { formatDate } from '../format.js';
import type { PageContext } from '../page.js';
import { routeHash } from '../router.js';

/** What the table's buttons do; without `rename` or `remove` the row has no such button. */
export interface SweepActions {
  cancel(sweepId: number): void;
  resume(sweepId: number): void;
  rename?(sweep: SweepSummary): void;
  remove?(sweep: SweepSummary): void;
}

/** Total runs of a sweep. */
export function sweepTotal(s: Pick<SweepSummary, 'counts'>): number {
  return s.counts.queued + s.counts.running + s.counts.done + s.counts.failed;
}

/**
 * The sweeps table: one row per sweep (newest first, as `sweeps.list` gives them) with its run
 * counts, an active flag (or `running elsewhere` with the process that runs it), links to its
 * detail and its runs, Cancel (active) or Resume (not active, not run elsewhere, runs not done)
 * buttons, and Rename and Delete (disabled while it runs here or elsewhere) when the actions have
 * them.
 */
export function sweepsTable(sweeps: SweepSummary[], actions: SweepActions): HTMLElement {
  if (sweeps.length === 0) {
    return h('p', { class: 'note' }, 'No sweeps yet: start one below.');
  }
  const rows = sweeps.map((s) => {
    const total = sweepTotal(s);
    const state = s.active
      ? 'active'
      : s.runBy
        ? 'elsewhere'
        : s.counts.done === total
          ? 'complete'
          : 'incomplete';
    // Another process runs it (the CLI, a Slurm driver): say which; Resume and Delete wait for it.
    const elsewhere = s.runBy
      ? `being run by PID ${s.runBy.pid} on ${s.runBy.host} since ${formatDate(s.runBy.since)}`
      : null;
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
      h(
        'td',
        {},
        h(
          'span',
          { class: `badge badge-${state}`, ...(elsewhere ? { title: elsewhere } : {}) },
          s.runBy ? 'running elsewhere' : state,
        ),
        elsewhere ? h('small', { class: 'run-by' }, ` ${elsewhere}`) : null,
      ),
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
        !s.active && !s.runBy && s.counts.done < total
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
        actions.rename
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary outline small',
                'data-action': 'rename',
                onclick: () => actions.rename?.(s),
              },
              'Rename',
            )
          : null,
        actions.remove
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary outline small danger',
                'data-action': 'delete',
                disabled: s.active || s.runBy !== null,
                title: s.active
                  ? 'It is running: cancel it first'
                  : s.runBy
                    ? `It is ${elsewhere}: stop that process first`
                    : 'Delete the sweep, its runs and their results',
                onclick: () => actions.remove?.(s),
              },
              'Delete',
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

/** What a confirmation dialog asks: its title, text, optional text field, and its confirm button. */
export interface DialogSpec {
  title: string;
  text: string;
  /** A text field, filled with `value` and selected (a rename). */
  input?: { label: string; value: string; maxLength: number };
  confirm: string;
  /** The confirm button is marked dangerous (a delete). */
  danger?: boolean;
  /**
   * Runs on confirm, with the field's value ('' without one): resolves to null when done (the
   * dialog closes) or to a message shown in the dialog (it stays open).
   */
  onConfirm(value: string): Promise<string | null>;
}

/**
 * Shows a modal dialog (`<dialog>`, Pico's modal) over the page and resolves once it is closed:
 * true when it was confirmed and `onConfirm` succeeded, false when cancelled (Cancel, Escape).
 * While `onConfirm` runs its buttons are disabled; a message it returns is shown in the dialog.
 */
export function showDialog(spec: DialogSpec): Promise<boolean> {
  const problem = h('p', { class: 'dialog-problem bad', hidden: true });
  const input = spec.input
    ? h('input', {
        type: 'text',
        name: 'dialog-value',
        value: spec.input.value,
        maxlength: spec.input.maxLength,
        'aria-label': spec.input.label,
      })
    : null;
  const cancel = h(
    'button',
    { type: 'button', class: 'secondary', 'data-action': 'dialog-cancel' },
    'Cancel',
  );
  const confirm = h(
    'button',
    { type: 'submit', class: spec.danger ? 'danger' : '', 'data-action': 'dialog-confirm' },
    spec.confirm,
  );
  const form = h(
    'form',
    { method: 'dialog' },
    h(
      'article',
      {},
      h('header', {}, h('h3', {}, spec.title)),
      h('p', {}, spec.text),
      input ? h('label', {}, spec.input?.label, input) : null,
      problem,
      h('footer', {}, cancel, confirm),
    ),
  );
  const dialog = h('dialog', { class: 'confirm-dialog' }, form);
  document.body.appendChild(dialog);
  return new Promise((resolve) => {
    let confirmed = false;
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(confirmed);
    });
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      cancel.disabled = true;
      confirm.disabled = true;
      confirm.setAttribute('aria-busy', 'true');
      void spec
        .onConfirm(input?.value ?? '')
        .catch((e: unknown) => (e instanceof Error ? e.message : String(e)))
        .then((message) => {
          cancel.disabled = false;
          confirm.disabled = false;
          confirm.removeAttribute('aria-busy');
          if (message === null) {
            confirmed = true;
            dialog.close();
          } else {
            problem.textContent = message;
            problem.hidden = false;
          }
        });
    });
    dialog.showModal();
    if (input) input.select();
    else cancel.focus();
  });
}

/**
 * The Rename and Delete actions of the sweeps table: each asks in a dialog (the new name; a
 * confirmation naming what goes), calls `sweeps.rename` or `sweeps.delete`, then `refresh`. A
 * refusal (a running sweep, a bad name) is shown in the dialog, which stays open.
 */
export function sweepEditActions(
  ctx: PageContext,
  refresh: () => Promise<void> | void,
): Required<Pick<SweepActions, 'rename' | 'remove'>> {
  return {
    rename: (sweep) =>
      void showDialog({
        title: `Rename sweep #${sweep.id}`,
        text: 'Only the name changes: its spec, runs and results stay, and its spec still resumes it.',
        input: { label: 'Name', value: sweep.name, maxLength: 200 },
        confirm: 'Rename',
        onConfirm: async (name) => {
          await ctx.api.call('sweeps.rename', { sweepId: sweep.id, name });
          return null;
        },
      }).then((done) => (done ? refresh() : undefined)),
    remove: (sweep) => {
      const total = sweepTotal(sweep);
      void showDialog({
        title: `Delete sweep #${sweep.id}?`,
        text:
          `\u201c${sweep.name}\u201d and its ${total} run${total === 1 ? '' : 's'} ` +
          `(${sweep.counts.done} done) will be deleted with all of their results. This cannot be undone.`,
        confirm: 'Delete',
        danger: true,
        onConfirm: async () => {
          await ctx.api.call('sweeps.delete', { sweepId: sweep.id });
          return null;
        },
      }).then((done) => (done ? refresh() : undefined));
    },
  };
}
