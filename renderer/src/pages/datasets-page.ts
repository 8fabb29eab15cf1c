import { h } from '../dom.js';
import type { Page } from '../page.js';
import { routeHash } from '../router.js';

/** The Datasets page: a placeholder until the API has dataset operations. */
export const datasetsPage: Page = (ctx) => {
  ctx.root.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, 'Datasets')),
    h(
      'article',
      { class: 'placeholder' },
      h('p', {}, h('strong', {}, 'The dataset browser comes next.')),
      h(
        'p',
        {},
        'It will list the traces and length files a workload can use, with their statistics. The runner\u2019s API has no dataset operations yet; until then the built-in traces are described in data/README.md, and the ',
        h('a', { href: routeHash('sweeps') }, 'New sweep form'),
        ' offers them.',
      ),
    ),
  );
};
