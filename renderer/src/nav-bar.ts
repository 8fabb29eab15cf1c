import { h } from './dom.js';
import { themeToggle } from './theme.js';

/** The pages in the navigation bar: hash page name and label. */
export const NAV_ITEMS: readonly { page: string; label: string }[] = [
  { page: 'runs', label: 'Runs' },
  { page: 'compare', label: 'Compare' },
  { page: 'sweeps', label: 'Sweeps' },
  { page: 'machines', label: 'Machines' },
  { page: 'datasets', label: 'Datasets' },
];

/** The navigation bar: the app's name, a link per page, a status line and the colour theme toggle at the right. */
export class NavBar {
  private readonly links = new Map<string, HTMLAnchorElement>();
  private readonly status: HTMLElement;
  private readonly live: HTMLElement;

  constructor(root: HTMLElement) {
    const items = NAV_ITEMS.map(({ page, label }) => {
      const link = h('a', { href: `#/${page}`, 'data-nav': page }, label);
      this.links.set(page, link);
      return h('li', {}, link);
    });
    this.status = h('span', { class: 'nav-status' });
    this.live = h('span', { class: 'nav-live', 'data-state': 'idle', title: 'live updates' });
    root.replaceChildren(
      h(
        'nav',
        {},
        h('ul', {}, h('li', {}, h('a', { href: '#/runs', class: 'brand' }, h('strong', {}, 'Schedbench')))),
        h('ul', { class: 'nav-pages' }, items),
        h('ul', {}, h('li', {}, this.status), h('li', {}, this.live), h('li', {}, themeToggle())),
      ),
    );
  }

  /** Marks the current page's link. */
  setActive(page: string): void {
    for (const [name, link] of this.links) {
      if (name === page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  /** The status text (database, transport). */
  setStatus(text: string, title = ''): void {
    this.status.textContent = text;
    this.status.title = title;
  }

  /** The live-updates indicator: `open`, `connecting`, `reconnecting`, `closed`. */
  setLive(state: string): void {
    this.live.dataset.state = state;
    this.live.textContent = state === 'open' ? '\u25cf live' : state === 'idle' ? '' : `\u25cb ${state}`;
  }
}
