import { z } from 'zod';
import type { ApiErrorOut } from '../runner/api/api-contract.js';
import type { BridgeKey, MenuCommand } from './ipc-channels.js';

export type { MenuCommand };

/**
 * `window.schedbench`, what the preload (preload.cts) exposes to the renderer through
 * `contextBridge`, and the schemas of its desktop-only calls (dialogs, PDF).
 *
 * `call` and `onEvent` are the API transport renderer/src/api/preload-transport.ts expects
 * (renderer/src/api/api-transport.ts, PreloadApi); the other members are the desktop extras.
 * Every argument is validated again in the main process (ipc-guard.ts): the renderer is not
 * trusted (Electron security checklist, item 17 "Validate the sender of all IPC messages" and
 * the general advice to validate IPC arguments).
 */

/** The result of an API call (runner/api/api-service.ts, ApiResult). */
export type ApiResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorOut };

/** A sweep spec the user opened: its path, the folder relative paths resolve in, its text. */
export interface SpecFile {
  path: string;
  /** Pass as `dir` of `sweeps.validate` / `sweeps.start`. */
  dir: string;
  yaml: string;
}

/** What a Save dialog did. */
export type SaveResult = { saved: true; path: string } | { saved: false };

/** The runner process's state, as the supervisor reports it (runner-supervisor.ts). */
export interface RunnerStatus {
  state: 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';
  /** What happened, for a status line or an error banner. */
  message: string;
  /** Restarts since the app started. */
  restarts: number;
}

/** Largest text a Save dialog writes, characters (a report of thousands of runs is a few MiB). */
export const MAX_SAVE_CHARS = 256 * 1024 * 1024;

/** A file name offered in a Save dialog: one path segment, no separators, no NUL. */
const suggestedName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^/\\\0]+$/, 'must be a file name, not a path')
  .refine((name) => name !== '.' && name !== '..', 'must be a file name, not a path');

/** Inputs of the desktop-only invoke channels. */
export const DESKTOP_INPUTS = {
  'schedbench:open-spec': z.object({}).strict(),
  'schedbench:choose-trace': z.object({}).strict(),
  'schedbench:save-file': z
    .object({
      suggestedName,
      content: z.string().max(MAX_SAVE_CHARS),
      /** The dialog's file-type filter. */
      kind: z.enum(['html', 'csv', 'json', 'yaml', 'txt']).optional(),
    })
    .strict(),
  'schedbench:save-pdf': z
    .object({
      suggestedName,
      /** What the page shows (`Compare 4 runs`), printed in every page's header. */
      title: z.string().max(300).optional(),
      /** The name(s) of the sweep(s) shown, printed in every page's header. */
      sweep: z.string().max(500).optional(),
    })
    .strict(),
} as const;

/** A desktop-only invoke channel. */
export type DesktopChannel = keyof typeof DESKTOP_INPUTS;

/** The validated input of a desktop channel. */
export type DesktopInput<C extends DesktopChannel> = z.output<(typeof DESKTOP_INPUTS)[C]>;

/** `window.schedbench` in the desktop app. */
export interface SchedbenchBridge {
  /** Runs an API operation; resolves with the runner's result (never rejects for an API error). */
  call(op: string, input: unknown): Promise<ApiResult>;
  /** Listens to every pushed API event (`progress`, `ended`); returns the unsubscribe function. */
  onEvent(listener: (event: string, data: unknown) => void): () => void;
  /** Shows the Open dialog for a spec (YAML); null when cancelled. */
  openSpec(): Promise<SpecFile | null>;
  /**
   * Shows the Open dialog for a trace (CSV, JSON Lines); resolves with the chosen file's absolute
   * path, or null when cancelled. The file is not read here: the page previews and imports it
   * through the runner (`datasets.preview`, `datasets.import`), as it does a typed path.
   */
  chooseTrace(): Promise<string | null>;
  /** Shows the Save dialog and writes `content` (UTF-8) where the user chose. */
  saveFile(request: DesktopInput<'schedbench:save-file'>): Promise<SaveResult>;
  /**
   * Prints the current page to PDF (A4 landscape, backgrounds; a header with the title, the sweep
   * and the date, a footer with the database and the page number: pdf-export.ts) and saves it
   * where the user chose.
   */
  savePdf(request: DesktopInput<'schedbench:save-pdf'>): Promise<SaveResult>;
  /** Listens to native menu commands; returns the unsubscribe function. */
  onMenu(listener: (command: MenuCommand, data: unknown) => void): () => void;
  /** Listens to the runner process's state; returns the unsubscribe function. */
  onRunnerStatus(listener: (status: RunnerStatus) => void): () => void;
}

/** True when two key sets are the same (a compile-time check). */
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * SchedbenchBridge has exactly the members of the contract (ipc-channels.ts, BRIDGE_MEMBERS): a
 * member added to one and not the other fails the typecheck here.
 */
export const BRIDGE_MATCHES_CONTRACT: SameKeys<keyof SchedbenchBridge, BridgeKey> = true;
