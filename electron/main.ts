/**
 * The desktop app's main process (docs/architecture.md): windows, menus, dialogs, and the relay
 * between the renderer and the runner process. No domain logic: every decision lives in a small
 * module of this folder that runs under plain Node and is tested there (app-protocol,
 * ipc-guard, navigation-policy, external-links, runner-supervisor, runner-launch,
 * menu-template, dialog-files, pdf-export); this file only wires them to Electron.
 *
 * Security (Electron's checklist, https://www.electronjs.org/docs/latest/tutorial/security):
 * the renderer is served from `app://schedbench/` with a strict CSP header (items 7, 18); it
 * runs sandboxed with context isolation and without Node (items 2, 3, 4); every session
 * permission request is refused (item 5); navigation, new windows and webviews are blocked
 * (items 12, 13, 14); external links open only after the allowlist (item 15); every IPC call is
 * checked for its sender and validated against the contract (item 17).
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  protocol,
  session,
  shell,
  utilityProcess,
  type IpcMainInvokeEvent,
  type WebContents,
} from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImportOut } from '../runner/api/api-contract.js';
import { defaultDatabasePath } from '../runner/store/default-database.js';
import { importSummaryText } from '../runner/store/import-summary.js';
import { APP_ENTRY_URL, APP_SCHEME, appRouteUrl } from './app-origin.js';
import { appProtocolResponse } from './app-protocol.js';
import type { ApiResult, RunnerStatus, SaveResult, SpecFile } from './desktop-bridge.js';
import {
  DATABASE_FILTERS,
  readSpecFile,
  saveFilters,
  SPEC_FILTERS,
  TRACE_FILTERS,
  writeFileAtomically,
} from './dialog-files.js';
import { externalLinkTarget } from './external-links.js';
import { IPC_CHANNELS, type MenuCommand } from './ipc-channels.js';
import { guardApiCall, guardDesktopCall, type IpcSender } from './ipc-guard.js';
import { menuTemplate } from './menu-template.js';
import { downloadAllowed, navigationDecision, windowOpenDecision } from './navigation-policy.js';
import { forkNodeRunner } from './node-runner-channel.js';
import { pdfOptions } from './pdf-export.js';
import { databaseArgument, runnerLaunchPlan } from './runner-launch.js';
import { RunnerSupervisor, type RunnerChannel } from './runner-supervisor.js';
import { utilityRunnerChannel } from './utility-runner-channel.js';
import { appWindowOptions } from './window-options.js';

const ELECTRON_DIR = dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = join(ELECTRON_DIR, '..', 'renderer');
const PRELOAD = join(ELECTRON_DIR, 'preload.cjs');

// Before `ready`: the scheme must be standard (real origin, relative URLs) and secure (a secure
// context); it needs fetch for the page's own files. No CORS, no CSP bypass, no service workers.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();
app.setPath('userData', join(app.getPath('appData'), 'Schedbench'));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  run().catch((err: Error) => {
    console.error(err);
    dialog.showErrorBox('Schedbench could not start', err.stack ?? err.message);
    app.exit(1);
  });
}

/** Prefixes every line of a chunk of the runner's standard error. */
function prefixed(text: string): string {
  return text.replace(/^(?=.)/gm, 'runner: ');
}

/** The guard's view of an IPC sender. */
function senderOf(event: IpcMainInvokeEvent): IpcSender {
  const frame = event.senderFrame;
  try {
    if (!frame || frame.isDestroyed()) return { frameUrl: null, isMainFrame: false };
    return { frameUrl: frame.url, isMainFrame: frame.parent === null };
  } catch {
    return { frameUrl: null, isMainFrame: false };
  }
}

/**
 * Sends a menu command to a page (ipc-channels.ts, MENU_COMMANDS; the renderer's handler of each
 * is in renderer/src/api/preload-transport.ts). The only way this file sends on the menu channel,
 * so that test/unit/electron/ipc-contract.test.ts finds every command sent.
 */
function sendMenu(contents: WebContents, command: MenuCommand, data: unknown): void {
  contents.send(IPC_CHANNELS.menu, command, data);
}

/** Opens an allowed external link in the user's browser; anything else is dropped (and logged). */
function openExternal(url: string): void {
  const target = externalLinkTarget(url);
  if (target) void shell.openExternal(target);
  else console.warn(`schedbench: refused to open ${JSON.stringify(url.slice(0, 200))}`);
}

/** Navigation, window and webview policy for every web contents the app creates. */
function harden(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    const decision = navigationDecision(event.url);
    if (decision.allow) return;
    event.preventDefault();
    if (decision.openExternal) void shell.openExternal(decision.openExternal);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && !navigationDecision(event.url).allow) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!navigationDecision(event.url).allow) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.openExternal) void shell.openExternal(decision.openExternal);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

async function run(): Promise<void> {
  let mainWindow: BrowserWindow | null = null;
  const windows = (): BrowserWindow[] => BrowserWindow.getAllWindows().filter((w) => !w.isDestroyed());
  const broadcast = (channel: string, ...args: unknown[]): void => {
    for (const w of windows()) w.webContents.send(channel, ...args);
  };

  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => harden(contents));

  await app.whenReady();

  // ---- session: no permissions, downloads only of the page's own Blob URLs, the app scheme
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.on('will-download', (event, item) => {
    if (!downloadAllowed(item.getURL())) event.preventDefault();
  });
  protocol.handle(APP_SCHEME, async (request) => {
    const answer = await appProtocolResponse(request.method, request.url, RENDERER_DIR);
    return new Response(new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
  });

  // ---- the runner process
  const databasePath = databaseArgument(process.argv) ?? defaultDatabasePath();
  const plan = runnerLaunchPlan({
    isPackaged: app.isPackaged,
    electronDir: ELECTRON_DIR,
    databasePath,
    env: process.env,
  });
  const onStderr = (text: string): void => {
    process.stderr.write(prefixed(text));
  };
  const spawn = (): RunnerChannel =>
    plan.kind === 'utility-process'
      ? utilityRunnerChannel((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), {
          modulePath: plan.modulePath,
          args: plan.args,
          env: plan.env,
          onStderr,
        })
      : forkNodeRunner({
          execPath: plan.execPath!,
          modulePath: plan.modulePath,
          args: plan.args,
          env: plan.env,
          onStderr,
        });
  let failureShown = false;
  const supervisor: RunnerSupervisor = new RunnerSupervisor({
    spawn,
    onStatus: (status: RunnerStatus) => {
      console.log(`schedbench: ${status.state}: ${status.message}`);
      broadcast(IPC_CHANNELS.runnerStatus, status);
      if (status.state !== 'failed' || failureShown) return;
      failureShown = true;
      void dialog
        .showMessageBox({
          type: 'error',
          title: 'Schedbench',
          message: 'The runner process keeps stopping',
          detail: `${status.message}\n\nDatabase: ${databasePath}`,
          buttons: ['Try again', 'Close'],
          defaultId: 0,
          cancelId: 1,
        })
        .then(({ response }) => {
          failureShown = false;
          if (response === 0) supervisor.restartNow();
        });
    },
  });
  supervisor.onEvent((event, data) => broadcast(IPC_CHANNELS.event, event, data));
  supervisor.start();

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void supervisor.shutdown().finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());

  // ---- IPC: every channel checks its sender and its input first (ipc-guard.ts)
  const windowOf = (event: IpcMainInvokeEvent): BrowserWindow | null =>
    BrowserWindow.fromWebContents(event.sender);
  ipcMain.handle(IPC_CHANNELS.call, async (event, op: unknown, input: unknown): Promise<ApiResult> => {
    const guarded = guardApiCall(senderOf(event), op, input);
    if (!guarded.ok) return { ok: false, error: guarded.error };
    return supervisor.call(guarded.op, guarded.input);
  });
  ipcMain.handle(IPC_CHANNELS.openSpec, async (event, input: unknown): Promise<SpecFile | null> => {
    const guarded = guardDesktopCall(senderOf(event), IPC_CHANNELS.openSpec, input);
    if (!guarded.ok) throw new Error(guarded.error.message);
    return chooseSpec(windowOf(event));
  });
  ipcMain.handle(IPC_CHANNELS.chooseTrace, async (event, input: unknown): Promise<string | null> => {
    const guarded = guardDesktopCall(senderOf(event), IPC_CHANNELS.chooseTrace, input);
    if (!guarded.ok) throw new Error(guarded.error.message);
    return chooseTrace(windowOf(event));
  });
  ipcMain.handle(IPC_CHANNELS.saveFile, async (event, input: unknown): Promise<SaveResult> => {
    const guarded = guardDesktopCall(senderOf(event), IPC_CHANNELS.saveFile, input);
    if (!guarded.ok) throw new Error(guarded.error.message);
    const { suggestedName, content, kind } = guarded.input;
    return saveWithDialog(windowOf(event), suggestedName, kind, content);
  });
  ipcMain.handle(IPC_CHANNELS.savePdf, async (event, input: unknown): Promise<SaveResult> => {
    const guarded = guardDesktopCall(senderOf(event), IPC_CHANNELS.savePdf, input);
    if (!guarded.ok) throw new Error(guarded.error.message);
    const { suggestedName, title, sweep } = guarded.input;
    const pdf = await event.sender.printToPDF(
      pdfOptions({ title, sweep, database: databasePath, date: new Date() }),
    );
    return saveWithDialog(windowOf(event), suggestedName, 'pdf', pdf);
  });

  // ---- dialogs
  async function chooseSpec(parent: BrowserWindow | null): Promise<SpecFile | null> {
    const options = { title: 'Open a sweep spec', properties: ['openFile' as const], filters: SPEC_FILTERS };
    const choice = parent
      ? await dialog.showOpenDialog(parent, options)
      : await dialog.showOpenDialog(options);
    const path = choice.canceled ? undefined : choice.filePaths[0];
    return path ? readSpecFile(path) : null;
  }

  /** The trace the user picked, by its absolute path; null when cancelled. */
  async function chooseTrace(parent: BrowserWindow | null): Promise<string | null> {
    const options = {
      title: 'Choose a trace to import',
      properties: ['openFile' as const],
      filters: TRACE_FILTERS,
    };
    const choice = parent
      ? await dialog.showOpenDialog(parent, options)
      : await dialog.showOpenDialog(options);
    const path = choice.canceled ? undefined : choice.filePaths[0];
    return path || null;
  }

  async function saveWithDialog(
    parent: BrowserWindow | null,
    suggestedName: string,
    kind: string | undefined,
    data: string | Uint8Array,
  ): Promise<SaveResult> {
    const options = {
      title: 'Save',
      defaultPath: join(app.getPath('documents'), suggestedName),
      filters: saveFilters(kind),
      properties: ['showOverwriteConfirmation' as const, 'createDirectory' as const],
    };
    const choice = parent
      ? await dialog.showSaveDialog(parent, options)
      : await dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) return { saved: false };
    await writeFileAtomically(choice.filePath, data);
    return { saved: true, path: choice.filePath };
  }

  async function importDatabase(parent: BrowserWindow): Promise<void> {
    const choice = await dialog.showOpenDialog(parent, {
      title: 'Import a Schedbench database',
      properties: ['openFile'],
      filters: DATABASE_FILTERS,
    });
    const path = choice.canceled ? undefined : choice.filePaths[0];
    if (!path) return;
    const result = await supervisor.call('database.import', { path });
    if (!result.ok) {
      await dialog.showMessageBox(parent, {
        type: 'error',
        message: 'Import failed',
        detail: result.error.message,
      });
      return;
    }
    sendMenu(parent.webContents, 'database-imported', result.value);
    const detail = importSummaryText((result.value as ImportOut).summary, databasePath);
    await dialog.showMessageBox(parent, { type: 'info', message: `Imported ${path}`, detail });
  }

  // ---- menu and window
  const withWindow = (action: (w: BrowserWindow) => void | Promise<void>) => (): void => {
    const w = mainWindow && !mainWindow.isDestroyed() ? mainWindow : null;
    if (!w) return;
    Promise.resolve(action(w)).catch((err: Error) => dialog.showErrorBox('Schedbench', err.message));
  };
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(
        {
          newSweep: withWindow((w) => w.loadURL(appRouteUrl('sweeps'))),
          openSpec: withWindow(async (w) => {
            const spec = await chooseSpec(w);
            if (spec) sendMenu(w.webContents, 'open-spec', spec);
          }),
          saveReport: withWindow((w) => sendMenu(w.webContents, 'save-report', null)),
          importDatabase: withWindow(importDatabase),
          openLink: openExternal,
          about: withWindow(async (w) => {
            await dialog.showMessageBox(w, {
              type: 'info',
              message: `Schedbench ${app.getVersion()}`,
              detail: [
                `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}`,
                `Runner: ${plan.kind === 'node' ? `Node (${plan.execPath})` : 'utility process'}`,
                `Database: ${databasePath}`,
              ].join('\n'),
            });
          }),
        },
        { isPackaged: app.isPackaged },
      ),
    ),
  );

  mainWindow = new BrowserWindow(appWindowOptions(PRELOAD, app.isPackaged));
  const win = mainWindow;
  win.once('ready-to-show', () => win.show());
  win.webContents.on('did-finish-load', () =>
    win.webContents.send(IPC_CHANNELS.runnerStatus, supervisor.status),
  );
  win.on('closed', () => {
    mainWindow = null;
  });
  await win.loadURL(APP_ENTRY_URL);
}
