/**
 * The location inside the app, from the URL's hash: `#/compare?runs=1,2,3` is page `compare`
 * with params `runs=1,2,3`; `#/sweeps/12` is page `sweeps` with rest `['12']` (a sweep's detail),
 * `#/runs/7` a run's detail; an empty hash is the landing page (`runs`).
 */
export interface Route {
  page: string;
  rest: string[];
  params: URLSearchParams;
}

/** Page shown for an empty hash. */
export const LANDING_PAGE = 'runs';

/** Parses a location hash (`#/page/rest?query`). */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const path = (q < 0 ? text : text.slice(0, q)).split('/').filter(Boolean).map(decodeURIComponent);
  return {
    page: path[0] ?? LANDING_PAGE,
    rest: path.slice(1),
    params: new URLSearchParams(q < 0 ? '' : text.slice(q + 1)),
  };
}

/**
 * The hash of a location: `routeHash('compare', { runs: '1,2' })` is `#/compare?runs=1,2`.
 * Commas stay readable (they need no escaping in a fragment).
 */
export function routeHash(path: string, params: Record<string, string | undefined> = {}): string {
  const query = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%2C/gi, ',')}`)
    .join('&');
  return `#/${path}${query ? `?${query}` : ''}`;
}

/** Positive integer ids from a comma list (`1,2,3`); anything else is dropped. */
export function parseIds(text: string | null): number[] {
  if (!text) return [];
  return text
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** The hash of a run's detail page: `runHash(12)` is `#/runs/12`. */
export function runHash(runId: number): string {
  return routeHash(`runs/${runId}`);
}
