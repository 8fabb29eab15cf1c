/**
 * The contract of desktop messaging: every IPC channel between the main process (main.ts) and
 * the page, every member of `window.schedbench` with its channel, and every menu command.
 * Nothing else names a channel or a bridge member:
 * - main.ts handles the `invoke` channels and sends on the `subscribe` ones, through IPC_CHANNELS;
 * - the preload (preload.cts) is a sandboxed script that cannot import this module, so it repeats
 *   the names; test/e2e/electron/preload.test.ts checks that the compiled preload uses exactly
 *   these channels and exposes exactly BRIDGE_KEYS;
 * - the renderer may not import electron/ (docs/architecture.md: the UIs are peers), so
 *   renderer/src/api/preload-transport.ts lists the members it subscribes with and the menu
 *   commands it handles; test/unit/electron/ipc-contract.test.ts checks that every channel main.ts
 *   sends on has a renderer subscriber, every menu command main.ts sends a renderer handler, and
 *   the reverse;
 * - desktop-bridge.ts (SchedbenchBridge) is typed to have exactly BRIDGE_KEYS, and the Electron
 *   smoke test expects them on the real window.
 *
 * No imports: the module is plain data, loadable anywhere (Node, a test, a bundle).
 */
export const IPC_CHANNELS = {
  /** invoke: one API operation `(op, input)` → ApiResult (relayed to the runner). */
  call: 'schedbench:call',
  /** invoke: the Open dialog for a sweep spec → SpecFile or null. */
  openSpec: 'schedbench:open-spec',
  /** invoke: the Open dialog for a trace to import → its path, or null. */
  chooseTrace: 'schedbench:choose-trace',
  /** invoke: the Save dialog for a text file (a report) → SaveResult. */
  saveFile: 'schedbench:save-file',
  /** invoke: print the sender's page to PDF, then the Save dialog → SaveResult. */
  savePdf: 'schedbench:save-pdf',
  /** main → renderer: a pushed API event `(event, data)`. */
  event: 'schedbench:event',
  /** main → renderer: a menu command `(command, data)` (MENU_COMMANDS). */
  menu: 'schedbench:menu',
  /** main → renderer: the runner process's state (RunnerStatus). */
  runnerStatus: 'schedbench:runner-status',
} as const;

/** A channel name. */
export type IpcChannel = (typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS];

/**
 * Every member of `window.schedbench` and its channel: an `invoke` member calls the main process
 * (`ipcRenderer.invoke`, answered by `ipcMain.handle`); a `subscribe` member listens to what the
 * main process sends (`webContents.send`) and returns its unsubscribe function.
 */
export const BRIDGE_MEMBERS = {
  call: { channel: IPC_CHANNELS.call, kind: 'invoke' },
  openSpec: { channel: IPC_CHANNELS.openSpec, kind: 'invoke' },
  chooseTrace: { channel: IPC_CHANNELS.chooseTrace, kind: 'invoke' },
  saveFile: { channel: IPC_CHANNELS.saveFile, kind: 'invoke' },
  savePdf: { channel: IPC_CHANNELS.savePdf, kind: 'invoke' },
  onEvent: { channel: IPC_CHANNELS.event, kind: 'subscribe' },
  onMenu: { channel: IPC_CHANNELS.menu, kind: 'subscribe' },
  onRunnerStatus: { channel: IPC_CHANNELS.runnerStatus, kind: 'subscribe' },
} as const satisfies Record<string, { channel: IpcChannel; kind: 'invoke' | 'subscribe' }>;

/** A member of `window.schedbench`. */
export type BridgeKey = keyof typeof BRIDGE_MEMBERS;

/** Every member of `window.schedbench`, in the order of BRIDGE_MEMBERS. */
export const BRIDGE_KEYS = Object.keys(BRIDGE_MEMBERS) as BridgeKey[];

/** The members that subscribe to a main → renderer channel. */
export const SUBSCRIBE_MEMBERS = BRIDGE_KEYS.filter((key) => BRIDGE_MEMBERS[key].kind === 'subscribe');

/** Channels the renderer may invoke (main.ts handles each with `ipcMain.handle`). */
export const INVOKE_CHANNELS = BRIDGE_KEYS.filter((key) => BRIDGE_MEMBERS[key].kind === 'invoke').map(
  (key) => BRIDGE_MEMBERS[key].channel,
);

/** Channels the main process sends on (the renderer subscribes to each). */
export const PUSH_CHANNELS = SUBSCRIBE_MEMBERS.map((key) => BRIDGE_MEMBERS[key].channel);

/**
 * Commands of the native menu that the page carries out (sent on IPC_CHANNELS.menu), with their
 * data:
 * - `open-spec`: File › Open spec… chose a file; data: SpecFile (the page shows it in the New
 *   sweep editor);
 * - `save-report`: File › Save report…; data: null (the page exports the report it shows and
 *   saves it with `saveFile`);
 * - `database-imported`: File › Import database… merged a database; data: ImportOut (the page
 *   reloads what it shows).
 */
export const MENU_COMMANDS = ['open-spec', 'save-report', 'database-imported'] as const;

/** A menu command. */
export type MenuCommand = (typeof MENU_COMMANDS)[number];
