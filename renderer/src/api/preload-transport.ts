import type { ApiTransport, PreloadApi, RawEventListener } from './api-transport.js';

/**
 * The renderer's side of the desktop bridge (`window.schedbench`, electron/preload.cts): the API
 * transport, and what the page does with every message the main process sends.
 *
 * The contract is electron/ipc-channels.ts (channels, bridge members, menu commands). The
 * renderer may not import electron/ (docs/architecture.md), so this module declares the members
 * it subscribes with (SUBSCRIBED_MEMBERS) and the menu commands it handles (HANDLED_MENU_COMMANDS);
 * test/unit/electron/ipc-contract.test.ts checks both against the contract and against what
 * electron/main.ts sends. No DOM here: main.ts supplies the handlers.
 */

/** The transport of the desktop app: the preload's bridge to the runner process. */
export function preloadTransport(bridge: PreloadApi): ApiTransport {
  return {
    kind: 'electron',
    call: (op, input) => bridge.call(op, input),
    subscribe: (listener: RawEventListener) => bridge.onEvent(listener),
  };
}

/** A sweep spec opened through the native dialog (electron/desktop-bridge.ts, SpecFile). */
export interface OpenedSpec {
  path: string;
  /** Its folder: relative paths in the spec resolve there (`dir` of `sweeps.validate`/`start`). */
  dir: string;
  yaml: string;
}

/** The runner process's state (electron/desktop-bridge.ts, RunnerStatus). */
export interface RunnerStatusIn {
  state: 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';
  message: string;
  restarts: number;
}

/** What a Save dialog did (electron/desktop-bridge.ts, SaveResult). */
export type SaveResultIn = { saved: true; path: string } | { saved: false };

/** `window.schedbench` in the desktop app: the API transport and the desktop extras. */
export interface DesktopBridge extends PreloadApi {
  openSpec(): Promise<OpenedSpec | null>;
  chooseTrace(): Promise<string | null>;
  saveFile(request: {
    suggestedName: string;
    content: string;
    kind?: 'html' | 'csv' | 'json' | 'yaml' | 'txt';
  }): Promise<SaveResultIn>;
  savePdf(request: { suggestedName: string; title?: string; sweep?: string }): Promise<SaveResultIn>;
  onMenu(listener: (command: string, data: unknown) => void): () => void;
  onRunnerStatus(listener: (status: RunnerStatusIn) => void): () => void;
}

/** The desktop bridge when the page runs in the app (all its members present); null in a browser. */
export function desktopBridge(candidate: PreloadApi | undefined): DesktopBridge | null {
  const b = candidate as Partial<DesktopBridge> | undefined;
  return b &&
    typeof b.onMenu === 'function' &&
    typeof b.onRunnerStatus === 'function' &&
    typeof b.saveFile === 'function' &&
    typeof b.savePdf === 'function'
    ? (b as DesktopBridge)
    : null;
}

/** What the page does with the main process's messages (renderer/src/main.ts implements them). */
export interface DesktopHandlers {
  /** File › Open spec… chose a spec: show it in the New sweep editor. */
  openSpec(spec: OpenedSpec): void;
  /** File › Save report…: export the report of what the page shows and save it. */
  saveReport(): void;
  /** File › Import database… merged a database: reload what the page shows. */
  databaseImported(data: unknown): void;
  /** The runner process stopped, was given up on, or is back: the notice to show (runnerStatusNotice). */
  runnerNotice(notice: string): void;
  /** A message this page does not understand (a main process newer than the page). */
  unknown(what: string): void;
}

/** The handler of each menu command (electron/ipc-channels.ts, MENU_COMMANDS). */
const MENU_HANDLERS: Record<string, (handlers: DesktopHandlers, data: unknown) => void> = {
  'open-spec': (handlers, data) => {
    const spec = openedSpecOf(data);
    if (spec) handlers.openSpec(spec);
    else handlers.unknown('open-spec without a spec');
  },
  'save-report': (handlers) => handlers.saveReport(),
  'database-imported': (handlers, data) => handlers.databaseImported(data),
};

/** The menu commands this page handles. */
export const HANDLED_MENU_COMMANDS: readonly string[] = Object.keys(MENU_HANDLERS);

/**
 * The bridge members the renderer subscribes with: `onEvent` (the API transport above), `onMenu`
 * and `onRunnerStatus` (subscribeDesktop).
 */
export const SUBSCRIBED_MEMBERS = ['onEvent', 'onMenu', 'onRunnerStatus'] as const;

/**
 * Subscribes the page to the main process's menu commands and runner states.
 * @returns the unsubscribe function
 */
export function subscribeDesktop(bridge: DesktopBridge, handlers: DesktopHandlers): () => void {
  let previous: RunnerStatusIn | null = null;
  const offMenu = bridge.onMenu((command, data) => {
    const handler = Object.hasOwn(MENU_HANDLERS, command) ? MENU_HANDLERS[command] : undefined;
    if (handler) handler(handlers, data);
    else handlers.unknown(`menu command ${JSON.stringify(command)}`);
  });
  const offStatus = bridge.onRunnerStatus((status) => {
    const notice = runnerStatusNotice(previous, status);
    previous = status;
    if (notice) handlers.runnerNotice(notice);
  });
  return () => {
    offMenu();
    offStatus();
  };
}

/**
 * What the page says about a runner state, given the one before (null: none seen yet), or null:
 * a crash (`restarting`), a runner that is given up on (`failed`), and the restart that follows a
 * crash the page saw (`running` after `restarting` or `failed`). The first state a page gets
 * (sent when it loads) is shown only when it is a crash: reloading the page after a restart does
 * not announce the restart again.
 */
export function runnerStatusNotice(previous: RunnerStatusIn | null, status: RunnerStatusIn): string | null {
  if (status.state === 'restarting') return `The runner process stopped: ${status.message}`;
  if (status.state === 'failed') return `The runner process is down: ${status.message}`;
  if (status.state === 'running' && (previous?.state === 'restarting' || previous?.state === 'failed')) {
    return `The runner process is back: ${status.message}. Calls in flight when it stopped failed; repeat them.`;
  }
  return null;
}

/** A SpecFile from the main process, checked; null when it is not one. */
export function openedSpecOf(data: unknown): OpenedSpec | null {
  if (data === null || typeof data !== 'object') return null;
  const d = data as Record<string, unknown>;
  return typeof d.path === 'string' && typeof d.dir === 'string' && typeof d.yaml === 'string'
    ? { path: d.path, dir: d.dir, yaml: d.yaml }
    : null;
}

/**
 * The hook between File › Open spec… and the Sweeps page (which owns the New sweep editor): the
 * page's entry (main.ts) goes to `#/sweeps` with the opened spec in the history entry's state,
 * `history.state[OPENED_SPEC_STATE]` (an OpenedSpec). The Sweeps page, once its editor exists,
 * takes it with `openedSpecOf(history.state?.[OPENED_SPEC_STATE])`, puts `yaml` in the YAML
 * editor and passes `dir` with validate/start. Being in the history entry, it survives the
 * page's asynchronous loading, and Back/Forward bring it back with the entry.
 */
export const OPENED_SPEC_STATE = 'schedbenchOpenedSpec';
