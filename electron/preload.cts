/**
 * The preload of the app's window: exposes `window.schedbench` (desktop-bridge.ts,
 * SchedbenchBridge) through `contextBridge`, and nothing else.
 *
 * It runs sandboxed (Electron security checklist, items 3 "Enable context isolation" and 4
 * "Enable process sandboxing", https://www.electronjs.org/docs/latest/tutorial/security): a
 * sandboxed preload is a classic script, not a module, and can `require` only a few built-ins
 * ('electron''s renderer modules, 'events', 'timers', 'url'). So this file is CommonJS
 * (compiled to dist/electron/preload.cjs), requires nothing but 'electron', and repeats the
 * member and channel names of the contract, ipc-channels.ts (BRIDGE_MEMBERS);
 * test/e2e/electron/preload.test.ts checks that it exposes exactly those members, each on its
 * channel.
 *
 * Following the checklist's IPC advice, the page never gets `ipcRenderer` or an IPC event
 * object: each member invokes one fixed channel, and listeners receive only the payload.
 * Arguments are checked again in the main process (ipc-guard.ts).
 */
import electron = require('electron');
import type { SchedbenchBridge } from './desktop-bridge.js';

const { contextBridge, ipcRenderer } = electron;

/** Subscribes to a main → renderer channel; returns the unsubscribe function. */
function subscribe<A extends unknown[]>(channel: string, listener: (...args: A) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('schedbench: a listener must be a function');
  const handler = (_event: unknown, ...args: unknown[]): void => listener(...(args as A));
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

const bridge: SchedbenchBridge = {
  call: (op, input) => ipcRenderer.invoke('schedbench:call', op, input),
  onEvent: (listener) => subscribe('schedbench:event', listener),
  openSpec: () => ipcRenderer.invoke('schedbench:open-spec', {}),
  chooseTrace: () => ipcRenderer.invoke('schedbench:choose-trace', {}),
  saveFile: (request) => ipcRenderer.invoke('schedbench:save-file', request),
  savePdf: (request) => ipcRenderer.invoke('schedbench:save-pdf', request),
  onMenu: (listener) => subscribe('schedbench:menu', listener),
  onRunnerStatus: (listener) => subscribe('schedbench:runner-status', listener),
};

contextBridge.exposeInMainWorld('schedbench', bridge);
