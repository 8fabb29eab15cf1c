import type { ApiClient } from './api-client.js';
import type { Route } from './router.js';

/** What a page gets while it is shown. */
export interface PageContext {
  api: ApiClient;
  /** The element the page fills (emptied before and after). */
  root: HTMLElement;
  route: Route;
  /** Shows a failure in the error banner (never swallow one). */
  showError(error: unknown, context?: string): void;
  /** Goes to another location (a hash, `#/compare?runs=1,2`). */
  navigate(hash: string): void;
  /** Runs `cleanup` when the page is left (event subscriptions, charts, tables, timers). */
  onDispose(cleanup: () => void): void;
  /** False once the page was left: asynchronous work checks it before touching the DOM. */
  readonly active: boolean;
}

/** A page: fills ctx.root; may load asynchronously (a rejection is shown in the banner). */
export type Page = (ctx: PageContext) => void | Promise<void>;
