import '@picocss/pico/css/pico.min.css';
import 'tabulator-tables/dist/css/tabulator_simple.min.css';
import './styles/app.css';
import './styles/print.css';
import { API_VERSION } from '../../runner/api/api-contract.js';
import { createApiClient } from './api-client.js';
import { desktopBridge, OPENED_SPEC_STATE, subscribeDesktop } from './api/preload-transport.js';
import { h } from './dom.js';
import { saveExport, setReportContext } from './download.js';
import { ErrorBanner } from './error-banner.js';
import { NavBar } from './nav-bar.js';
import type { Page, PageContext } from './page.js';
import { comparePage } from './pages/compare-page.js';
import { datasetsPage } from './pages/datasets-page.js';
import { machinesPage } from './pages/machines-page.js';
import { runsPage } from './pages/runs-page.js';
import { runDetailPage } from './pages/run-detail-page.js';
import { sweepDetailPage } from './pages/sweep-detail-page.js';
import { sweepsPage } from './pages/sweeps-page.js';
import { parseHash, parseIds, routeHash, type Route } from './router.js';

/**
 * The renderer's entry: the navigation bar, the error banner, the API client (Electron preload
 * or HTTP), a hash router that mounts one page at a time (a page's subscriptions, charts and
 * tables are disposed when it is left), and in the desktop app the main process's messages
 * (menu commands, runner states: subscribeDesktop).
 */
const banner = new ErrorBanner(document.getElementById('error-banner')!);
const nav = new NavBar(document.getElementById('nav')!);
const api = createApiClient((state) => nav.setLive(state));
const main = document.getElementById('page')!;

const PAGES: Record<string, Page> = {
  runs: runsPage,
  compare: comparePage,
  sweeps: sweepsPage,
  machines: machinesPage,
  datasets: datasetsPage,
};

/** The page of a route (`#/sweeps/12` is a sweep's detail, `#/runs/7` a run's). */
function pageOf(route: Route): Page | null {
  if (route.page === 'sweeps' && route.rest.length > 0) return sweepDetailPage;
  if (route.page === 'runs' && route.rest.length > 0) return runDetailPage;
  return PAGES[route.page] ?? null;
}

let leave: (() => void) | null = null;

function show(): void {
  leave?.();
  const route = parseHash(location.hash);
  nav.setActive(route.page);
  const root = h('div', { class: `page page-${route.page}`, 'data-page': route.page });
  main.replaceChildren(root);
  const cleanups: (() => void)[] = [];
  let active = true;
  const ctx: PageContext = {
    api,
    root,
    route,
    showError: (error, context) => banner.show(error, context),
    navigate: (hash) => {
      location.hash = hash;
    },
    onDispose: (cleanup) => cleanups.push(cleanup),
    get active() {
      return active;
    },
  };
  leave = () => {
    active = false;
    for (const cleanup of cleanups.reverse()) {
      try {
        cleanup();
      } catch (e) {
        banner.show(e, 'leaving the page');
      }
    }
  };
  const page = pageOf(route);
  if (!page) {
    root.replaceChildren(
      h('h1', {}, 'Not found'),
      h('p', {}, `No page "${route.page}". `, h('a', { href: routeHash('runs') }, 'Go to the runs')),
    );
    return;
  }
  Promise.resolve()
    .then(() => page(ctx))
    .catch((e: unknown) => {
      if (active) banner.show(e);
      root.querySelectorAll('[aria-busy="true"]').forEach((el) => el.removeAttribute('aria-busy'));
    });
}

// ---- the desktop app's messages (electron/ipc-channels.ts; none in a browser)

/**
 * The runs File › Save report… exports: those compared (`#/compare?runs=`), a sweep's
 * (`#/sweeps/ID`), or one run's (`#/runs/ID`); empty on a page that shows no report.
 */
async function reportRunIds(route: Route): Promise<number[]> {
  if (route.page === 'compare') return parseIds(route.params.get('runs'));
  const id = parseIds(route.rest[0] ?? null)[0];
  if (id === undefined) return [];
  if (route.page === 'runs') return [id];
  if (route.page === 'sweeps') return (await api.call('runs.list', { sweepIds: [id] })).map((r) => r.id);
  return [];
}

/** File › Save report…: the runner's HTML report of the runs shown, through the Save dialog. */
async function saveReport(): Promise<void> {
  const runIds = await reportRunIds(parseHash(location.hash));
  if (runIds.length === 0) {
    banner.show(
      new Error('this page shows no report: open a comparison, a sweep or a run, then File › Save report…'),
      'saving the report',
    );
    return;
  }
  await saveExport(await api.call('export.report', { runIds, format: 'html' }), 'html');
}

const desktop = desktopBridge(window.schedbench);
if (desktop) {
  subscribeDesktop(desktop, {
    // The hook to the Sweeps page: #/sweeps with the spec in the history entry's state
    // (OPENED_SPEC_STATE, renderer/src/api/preload-transport.ts); pushState fires no
    // hashchange, so the page is mounted here.
    openSpec: (spec) => {
      history.pushState({ [OPENED_SPEC_STATE]: spec }, '', routeHash('sweeps'));
      show();
    },
    saveReport: () => void saveReport().catch((e: unknown) => banner.show(e, 'saving the report')),
    databaseImported: () => show(),
    runnerNotice: (notice) => banner.notice(notice, 'runner'),
    unknown: (what) =>
      banner.show(new Error(`the app sent ${what}, which this page does not know: rebuild so both match`)),
  });
}

window.addEventListener('hashchange', show);
window.addEventListener('unhandledrejection', (event) => banner.show(event.reason, 'unexpected failure'));
window.addEventListener('error', (event) => banner.show(event.error ?? event.message, 'unexpected failure'));
show();

// The status line, and a subscription that keeps the event stream open (the live indicator).
api.onEvent('ended', () => undefined);
api
  .call('health', {})
  .then((health) => {
    setReportContext(health.database, health.host);
    const file = health.database.split(/[\\/]/).pop() ?? health.database;
    nav.setStatus(
      `${file} \u00b7 ${health.host}`,
      `database ${health.database}; runner on ${health.host}, Node ${health.node}, API v${health.apiVersion}; ${api.transport === 'electron' ? 'desktop app' : 'browser mode'}`,
    );
    if (health.apiVersion !== API_VERSION) {
      banner.show(
        new Error(
          `the runner speaks API v${health.apiVersion}, this page v${API_VERSION}: rebuild or restart so both match`,
        ),
      );
    }
  })
  .catch((e: unknown) => banner.show(e, 'connecting to the runner'));
