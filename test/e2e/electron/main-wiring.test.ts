import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../electron/content-security-policy.js';
import { TRACE_FILTERS } from '../../../electron/dialog-files.js';
import { INVOKE_CHANNELS } from '../../../electron/ipc-channels.js';
import { PDF_MARGINS_IN } from '../../../electron/pdf-export.js';
import { REPO } from '../../helpers/cli.js';
import { processesWhere } from '../../helpers/processes.js';

/**
 * The compiled main process (dist/electron/main.js) wired to a fake `electron` module
 * (test/helpers/fake-electron/): everything main.ts registers (scheme, sandbox, window, protocol
 * handler, IPC handlers, navigation and permission handlers, menu, dialogs, quit) is driven the
 * way Electron would, with the REAL runner behind it as a Node child process. This is as far as
 * main.ts can be checked without the Electron binary; test/electron/smoke.test.ts does the rest
 * where the binary exists.
 */
const FAKE = join(REPO, 'test/helpers/fake-electron');
const MAIN = join(REPO, 'dist/electron/main.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON report, checked field by field
let scenario: any;
let result: Result;
const dir = mkdtempSync(join(tmpdir(), 'schedbench-main-wiring-'));
const db = join(dir, 'wiring.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  expect(existsSync(MAIN), `${MAIN} is missing: run npm run build`).toBe(true);
  const child = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(join(FAKE, 'register.mjs')).href,
      '--import',
      pathToFileURL(join(FAKE, 'main-scenario.mjs')).href,
      MAIN,
    ],
    {
      cwd: REPO,
      env: { ...process.env, SCHEDBENCH_DB: db, SCHEDBENCH_NODE: process.execPath, SCENARIO_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  result = { code, stdout, stderr };
  const line = stdout.split('\n').find((l) => l.startsWith('SCENARIO '));
  expect(line, `no SCENARIO line; stderr:\n${stderr}`).toBeDefined();
  scenario = JSON.parse(line!.slice('SCENARIO '.length));
  expect(scenario.failure, scenario.failure).toBeUndefined();
}, 90_000);

describe('main process wiring (fake Electron, real runner)', () => {
  it('registers the app scheme, the sandbox and the user data folder before ready', () => {
    expect(scenario.beforeReady).toEqual({
      privilegedSchemes: [
        { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
      ],
      sandboxEnabled: true,
      userData: expect.stringMatching(/\/Schedbench$/),
    });
  });

  it('opens one sandboxed, isolated window on app://schedbench with the preload', () => {
    expect(scenario.window.url).toBe('app://schedbench/index.html');
    expect(scenario.window.shown).toBe(true);
    expect(scenario.window.webPreferences).toMatchObject({
      preload: join(REPO, 'dist/electron/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
  });

  it('serves the renderer build over app:// with the CSP, and nothing outside it', () => {
    expect(scenario.protocol.index).toMatchObject({ status: 200, csp: CONTENT_SECURITY_POLICY });
    expect(scenario.protocol.index.text).toContain('<title>Schedbench</title>');
    expect(scenario.protocol.traversal).toMatchObject({ status: 404, csp: CONTENT_SECURITY_POLICY });
    expect(scenario.protocol.otherHost.status).toBe(404);
  });

  it('relays guarded IPC calls to the runner', () => {
    expect(scenario.ipcChannels).toEqual([...INVOKE_CHANNELS].sort());
    expect(scenario.ipc.health).toMatchObject({ ok: true, value: { apiVersion: 1, database: db } });
    expect(scenario.ipc.foreign).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(scenario.ipc.subframe).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(scenario.ipc.noFrame).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(scenario.ipc.unknown).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(scenario.ipc.badInput).toMatchObject({
      ok: false,
      error: { code: 'bad-input', field: 'sweepId' },
    });
  });

  it('runs a sweep and forwards its events to the window', () => {
    expect(scenario.sweep.started).toEqual({ ok: true, value: { sweepId: 1, resumed: false } });
    expect(scenario.sweep.ended).toEqual({ sweepId: 1, cancelled: false, done: 1, failed: 0 });
    expect(scenario.sweep.progressEvents).toBeGreaterThan(0);
    expect(scenario.sweep.runs.value.map((r: { status: string }) => r.status)).toEqual(['done']);
    expect(scenario.runnerStatus).toEqual(['running']);
  });

  it('blocks navigation, windows, webviews, permissions and foreign downloads', () => {
    expect(scenario.navigationPrevented).toEqual({
      inApp: false,
      evil: true,
      arxiv: true,
      userinfoTrick: true,
      subframeEvil: true,
      redirect: true,
      webview: true,
    });
    expect(scenario.windowOpen).toEqual({ evil: { action: 'deny' }, github: { action: 'deny' } });
    expect(scenario.permissions).toEqual({ requestGranted: false, check: false });
    expect(scenario.downloadPrevented).toEqual({ blob: false, remote: true });
    // Allowed links went to the browser; the rest went nowhere. (The last one is Help's first link.)
    expect(scenario.opened).toEqual([
      'https://arxiv.org/abs/2504.11320',
      'https://github.com/microsoft/vidur',
      'https://arxiv.org/abs/2504.11320',
    ]);
  });

  it('opens and saves files only through dialogs, with validated arguments', () => {
    expect(scenario.openSpec).toEqual({
      path: join(dir, 'spec.yaml'),
      dir,
      yaml: expect.stringContaining('name: wiring'),
    });
    expect(scenario.chooseTrace).toEqual({
      chosen: join(dir, 'trace.csv'),
      cancelled: null,
      dialog: {
        parentIsWindow: true,
        options: {
          title: 'Choose a trace to import',
          properties: ['openFile'],
          filters: TRACE_FILTERS,
        },
      },
      foreignRefused: expect.stringMatching(/not the app/),
      badInputRefused: expect.stringMatching(/^schedbench:choose-trace: /),
      refusedShowedDialog: false,
    });
    expect(scenario.saveFile).toEqual({ saved: true, path: join(dir, 'report.csv') });
    expect(scenario.savedText).toBe('a,b\n');
    expect(scenario.savePdf).toEqual({ saved: true, path: join(dir, 'compare.pdf') });
    expect(scenario.savedPdf).toMatch(/^%PDF/);
    expect(scenario.pdfOptions).toEqual({
      printBackground: true,
      landscape: true,
      pageSize: 'A4',
      margins: PDF_MARGINS_IN,
      displayHeaderFooter: true,
      headerTemplate: expect.stringMatching(/Compare 2 runs.*Sweep: wiring.*\d{4}-\d{2}-\d{2} \d{2}:\d{2}/),
      footerTemplate: expect.stringContaining(`Database: ${db}`),
    });
    expect(scenario.pathRefused).toMatch(/suggestedName: must be a file name/);
    expect(scenario.foreignDialogRefused).toMatch(/not the app/);
  });

  it('carries out menu commands', () => {
    expect(scenario.menu.map((m: { label: string }) => m.label)).toEqual([
      '&File',
      '&Edit',
      '&View',
      '&Help',
    ]);
    expect(scenario.afterNewSweep).toBe('app://schedbench/index.html#/sweeps');
    expect(scenario.menuCommands).toEqual(['save-report', 'open-spec']);
  });

  it('stops the runner before quitting, leaving no process', () => {
    expect(scenario.quitRequests).toBe(2); // the first is held until the runner stopped
    expect(scenario.finalStatus).toBe('stopped');
    expect(scenario.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(processesWhere((argv) => argv.includes(db))).toEqual([]);
  });
});
