import type { SweepProgressOut } from '../../../runner/api/api-contract.js';
import { h } from '../dom.js';
import type { Page, PageContext } from '../page.js';
import { NewSweepEditor } from '../sweeps/new-sweep-editor.js';
import { OPENED_SPEC_STATE, openedSpecOf } from '../api/preload-transport.js';
import { SweepProgressPanel } from '../sweeps/sweep-progress-panel.js';
import { sweepEditActions, sweepsTable } from '../sweeps/sweeps-table.js';

/** Keeps one progress panel per sweep in a container, fed by the API's events. */
export class ProgressPanels {
  readonly element = h('div', { class: 'progress-panels' });
  private readonly panels = new Map<number, SweepProgressPanel>();

  constructor(
    private readonly ctx: PageContext,
    private readonly accept: (sweepId: number) => boolean,
    onEnded: () => void,
  ) {
    ctx.onDispose(ctx.api.onEvent('progress', (p) => this.update(p)));
    ctx.onDispose(
      ctx.api.onEvent('ended', (e) => {
        if (!this.accept(e.sweepId)) return;
        this.panel(e.sweepId).ended(e);
        onEnded();
      }),
    );
  }

  /** Shows a snapshot (a panel is made for a sweep not seen yet). */
  update(p: SweepProgressOut): void {
    if (!this.accept(p.sweepId)) return;
    this.panel(p.sweepId).update(p);
  }

  /** Loads the current progress of a sweep (when the page opens, or after Resume). */
  async load(sweepId: number): Promise<void> {
    const p = await this.ctx.api.call('sweeps.progress', { sweepId });
    if (this.ctx.active && p.active) this.update(p);
  }

  private panel(sweepId: number): SweepProgressPanel {
    let panel = this.panels.get(sweepId);
    if (!panel) {
      panel = new SweepProgressPanel(sweepId, (id) => void cancelSweep(this.ctx, id));
      this.panels.set(sweepId, panel);
      this.element.prepend(panel.element);
    }
    return panel;
  }
}

/** `sweeps.cancel`, with the outcome in the banner when it fails. */
export async function cancelSweep(ctx: PageContext, sweepId: number): Promise<void> {
  try {
    await ctx.api.call('sweeps.cancel', { sweepId });
  } catch (e) {
    ctx.showError(e, `cancelling sweep #${sweepId}`);
  }
}

/** `sweeps.resume`, with the outcome in the banner when it fails. */
export async function resumeSweep(ctx: PageContext, sweepId: number): Promise<boolean> {
  try {
    await ctx.api.call('sweeps.resume', { sweepId });
    return true;
  } catch (e) {
    ctx.showError(e, `resuming sweep #${sweepId}`);
    return false;
  }
}

/** How often the Sweeps page reads the counts of sweeps other processes run, ms. */
const ELSEWHERE_REFRESH_MS = 5_000;

/**
 * The Sweeps page: live progress of the running sweeps (progress events), every sweep with its
 * counts and an active flag (`sweeps.list`), Cancel, Resume, Rename and Delete (each asked in a
 * dialog), and the New sweep form / YAML editor with Validate and Start.
 */
export const sweepsPage: Page = async (ctx) => {
  const tableBox = h('div', { class: 'scroll-box sweeps-box', 'aria-busy': 'true' });
  const newBox = h('div', { 'aria-busy': 'true' });
  let refreshing: Promise<void> | null = null;
  let again = false;
  let elsewhereTimer: number | undefined;
  ctx.onDispose(() => window.clearTimeout(elsewhereTimer));
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        const sweeps = await ctx.api.call('sweeps.list', {});
        if (!ctx.active) return;
        // A sweep another process runs sends no events here: its counts are read again every 5 s.
        window.clearTimeout(elsewhereTimer);
        elsewhereTimer = sweeps.some((s) => s.runBy)
          ? window.setTimeout(() => void refresh(), ELSEWHERE_REFRESH_MS)
          : undefined;
        tableBox.removeAttribute('aria-busy');
        tableBox.replaceChildren(
          sweepsTable(sweeps, {
            cancel: (id) => void cancelSweep(ctx, id).then(refresh),
            resume: (id) =>
              void resumeSweep(ctx, id).then((ok) => {
                if (ok) void panels.load(id).catch((e: unknown) => ctx.showError(e));
                return refresh();
              }),
            ...sweepEditActions(ctx, refresh),
          }),
        );
      } catch (e) {
        ctx.showError(e, 'listing the sweeps');
      } finally {
        refreshing = null;
        if (again) {
          again = false;
          void refresh();
        }
      }
    })();
    return refreshing;
  };
  const panels = new ProgressPanels(
    ctx,
    () => true,
    () => void refresh(),
  );
  // Counts in the table follow the progress events too (a light refresh at most every 2 s).
  let timer: number | undefined;
  ctx.onDispose(
    ctx.api.onEvent('progress', () => {
      timer ??= window.setTimeout(() => {
        timer = undefined;
        void refresh();
      }, 2000);
    }),
  );
  ctx.onDispose(() => window.clearTimeout(timer));

  ctx.root.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Sweeps')),
    panels.element,
    h('section', {}, h('h2', {}, 'All sweeps'), tableBox),
    h('section', { class: 'new-sweep-section' }, h('h2', {}, 'New sweep'), newBox),
  );

  const [sweeps, machines, datasets] = await Promise.all([
    ctx.api.call('sweeps.list', {}),
    ctx.api.call('machines.list', {}),
    ctx.api.call('datasets.list', { summaries: false }),
  ]);
  if (!ctx.active) return;
  await refresh();
  for (const s of sweeps.filter((x) => x.active)) {
    await panels.load(s.id).catch((e: unknown) => ctx.showError(e));
  }
  const editor = new NewSweepEditor(
    ctx.api,
    machines,
    datasets,
    {
      started: (sweepId) => {
        void panels.load(sweepId).catch(() => undefined); // it may have ended already
        void refresh();
      },
      showError: (e, context) => ctx.showError(e, context),
    },
    ctx.route.params.get('dataset') ?? undefined,
  );
  newBox.removeAttribute('aria-busy');
  newBox.replaceChildren(editor.element);
  // A spec opened with File › Open spec… (desktop app) arrives in the history entry's state.
  const opened = openedSpecOf((history.state as Record<string, unknown> | null)?.[OPENED_SPEC_STATE]);
  if (opened) {
    editor.openSpec(opened.yaml, opened.dir);
    newBox.scrollIntoView({ block: 'start' });
  } else if (ctx.route.params.has('dataset')) newBox.scrollIntoView({ block: 'start' });
};
