import '@picocss/pico/css/pico.min.css';
import 'tabulator-tables/dist/css/tabulator_simple.min.css';
import './styles/app.css';
import './styles/print.css';
import { API_VERSION } from '../../runner/api/api-contract.js';
import { createApiClient } from './api-client.js';
import { h } from './dom.js';
import { ErrorBanner } from './error-banner.js';
import { NavBar } from './nav-bar.js';
import type { Page, PageContext } from './page.js';
import { comparePage } from './pages/compare-page.js';
import { datasetsPage } from './pages/datasets-page.js';
import { machinesPage } from './pages/machines-page.js';
import { runsPage } from './pages/runs-page.js';
import { sweepDetailPage } from './pages/sweep-detail-page.js';
import { sweepsPage } from './pages/sweeps-page.js';
import { parseHash, routeHash, type Route } from './router.js';

/**
 * The renderer's entry: the navigation bar, the error banner, the API client (Electron preload
 * or HTTP), and a hash router that mounts one page at a time (a page's subscriptions, charts
 * and tables are disposed when it is left).
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

/** The page of a route (`#/sweeps/12` is a sweep's detail). */
function pageOf(route: Route): Page | null {
  if (route.page === 'sweeps' && route.rest.length > 0) return sweepDetailPage;
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

window.addEventListener('hashchange', show);
window.addEventListener('unhandledrejection', (event) => banner.show(event.reason, 'unexpected failure'));
window.addEventListener('error', (event) => banner.show(event.error ?? event.message, 'unexpected failure'));
show();

// The status line, and a subscription that keeps the event stream open (the live indicator).
api.onEvent('ended', () => undefined);
api
  .call('health', {})
  .then((health) => {
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
