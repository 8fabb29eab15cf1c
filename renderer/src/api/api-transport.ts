import type { ApiErrorOut } from '../../../runner/api/api-contract.js';

/** The result of one API call on any transport (runner/api/api-service.ts, ApiResult). */
export type ApiResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorOut };

/** Listener of every pushed event: its name (`progress`, `ended`) and its data. */
export type RawEventListener = (event: string, data: unknown) => void;

/**
 * How the renderer reaches the runner: the Electron preload's `window.schedbench`, or HTTP to
 * `schedbench serve`. Untyped; ApiClient types it against the contract.
 */
export interface ApiTransport {
  /** Which transport this is, for the status line. */
  readonly kind: 'electron' | 'http';
  /** Runs one operation. Resolves with the runner's result; rejects only when it cannot be reached. */
  call(op: string, input: unknown): Promise<ApiResult>;
  /** Subscribes to pushed events; returns an unsubscribe function. */
  subscribe(listener: RawEventListener): () => void;
}

/**
 * What the Electron preload exposes as `window.schedbench` (contextBridge; its full shape is
 * electron/desktop-bridge.ts, SchedbenchBridge). Only the members the renderer uses are declared;
 * the desktop extras are optional, so a page checks for them before offering what they do.
 */
export interface PreloadApi {
  call(op: string, input: unknown): Promise<ApiResult>;
  onEvent(listener: RawEventListener): () => void;
  /** Shows the native Open dialog for a trace; the chosen file's absolute path, or null when cancelled. */
  chooseTrace?(): Promise<string | null>;
}

declare global {
  interface Window {
    /** Present in Electron only (the preload); absent in browser mode. */
    schedbench?: PreloadApi;
  }
}
