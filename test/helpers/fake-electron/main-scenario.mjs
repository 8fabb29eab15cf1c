// Drives the compiled main process (dist/electron/main.js) under the fake Electron
// (fake-electron.mjs) the way Electron and a renderer would, and prints what it observed as one
// `SCENARIO {json}` line for test/e2e/electron/main-wiring.test.ts. Run as
//   node --import ./register.mjs --import ./main-scenario.mjs dist/electron/main.js
// with SCHEDBENCH_DB, SCHEDBENCH_NODE and SCENARIO_DIR set.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
// The same module instance main.js gets for `electron` (resolve-hooks.mjs maps it to this file).
import { app, fake, session } from './fake-electron.mjs';

const SPEC = [
  'name: wiring',
  'machine: a100-llama2-7b',
  'requests: 40',
  'seeds: [1]',
  'workloads:',
  '  - name: typed',
  '    types: [{ prompt: 20, output: 20, rate: 5 }]',
  'policies: [{ policy: fcfs }]',
  '',
].join('\n');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, condition, ms = 30_000) {
  for (const t0 = Date.now(); !condition(); await sleep(10)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

const appFrame = { url: 'app://schedbench/index.html', parent: null, isDestroyed: () => false };
const from = (frame, sender) => ({ senderFrame: frame, sender });

async function scenario(out) {
  // main.js's top level ran: it registered the scheme before `ready`.
  await until('main.js to load', () => fake.privilegedSchemes.length > 0);
  out.beforeReady = {
    privilegedSchemes: fake.privilegedSchemes,
    sandboxEnabled: fake.sandboxEnabled,
    userData: fake.paths.userData,
  };
  fake.makeReady();
  await until('the window', () => fake.windows.length === 1 && fake.windows[0].url !== undefined);
  const win = fake.windows[0];
  const wc = win.webContents;
  out.window = { url: win.url, webPreferences: win.options.webPreferences, shown: win.shown === true };
  out.ipcChannels = [...fake.ipcHandlers.keys()].sort();
  out.menu = fake.menu.template.map((m) => ({
    label: m.label,
    items: m.submenu.filter((i) => i.label).map((i) => i.label),
  }));

  const protocolHandler = fake.protocolHandlers.get('app');
  const get = async (url, method = 'GET') => {
    const r = await protocolHandler({ method, url });
    return {
      status: r.status,
      csp: r.headers.get('content-security-policy'),
      type: r.headers.get('content-type'),
      text: (await r.text()).slice(0, 300),
    };
  };
  out.protocol = {
    index: await get('app://schedbench/index.html'),
    traversal: await get('app://schedbench/%2e%2e/%2e%2e/package.json'),
    otherHost: await get('app://evil/index.html'),
  };

  const call = fake.ipcHandlers.get('schedbench:call');
  out.ipc = {
    health: await call(from(appFrame, wc), 'health', {}),
    foreign: await call(
      from({ url: 'https://evil.example/', parent: null, isDestroyed: () => false }, wc),
      'health',
      {},
    ),
    subframe: await call(
      from({ url: appFrame.url, parent: appFrame, isDestroyed: () => false }, wc),
      'health',
      {},
    ),
    noFrame: await call(from(null, wc), 'health', {}),
    unknown: await call(from(appFrame, wc), 'nope', {}),
    badInput: await call(from(appFrame, wc), 'sweeps.get', { sweepId: 'x' }),
  };

  const started = await call(from(appFrame, wc), 'sweeps.start', { yaml: SPEC });
  await until('the ended event', () =>
    wc.sent.some(([channel, event]) => channel === 'schedbench:event' && event === 'ended'),
  );
  out.sweep = {
    started,
    ended: wc.sent.find(([channel, event]) => channel === 'schedbench:event' && event === 'ended')[2],
    progressEvents: wc.sent.filter(
      ([channel, event]) => channel === 'schedbench:event' && event === 'progress',
    ).length,
    runs: await call(from(appFrame, wc), 'runs.list', {}),
  };
  out.runnerStatus = wc.sent
    .filter(([channel]) => channel === 'schedbench:runner-status')
    .map(([, s]) => s.state);

  const navigate = (event, url, extra = {}) => {
    let prevented = false;
    wc.emit(event, { url, isMainFrame: true, ...extra, preventDefault: () => (prevented = true) });
    return prevented;
  };
  out.navigationPrevented = {
    inApp: navigate('will-navigate', 'app://schedbench/index.html#/runs'),
    evil: navigate('will-navigate', 'https://evil.example/'),
    arxiv: navigate('will-navigate', 'https://arxiv.org/abs/2504.11320'),
    userinfoTrick: navigate('will-navigate', 'https://arxiv.org@evil.example/'),
    subframeEvil: navigate('will-frame-navigate', 'https://evil.example/', { isMainFrame: false }),
    redirect: navigate('will-redirect', 'https://evil.example/'),
    webview: navigate('will-attach-webview', undefined),
  };
  out.windowOpen = {
    evil: wc.windowOpenHandler({ url: 'https://evil.example/' }),
    github: wc.windowOpenHandler({ url: 'https://github.com/microsoft/vidur' }),
  };

  let granted = null;
  fake.permissionRequestHandler(wc, 'media', (g) => (granted = g));
  out.permissions = { requestGranted: granted, check: fake.permissionCheckHandler(wc, 'clipboard-read') };

  const download = (url) => {
    let prevented = false;
    session.defaultSession.emit(
      'will-download',
      { preventDefault: () => (prevented = true) },
      { getURL: () => url },
    );
    return prevented;
  };
  out.downloadPrevented = {
    blob: download('blob:app://schedbench/1234'),
    remote: download('https://evil.example/x'),
  };

  const dir = process.env.SCENARIO_DIR;
  const specPath = join(dir, 'spec.yaml');
  writeFileSync(specPath, SPEC);
  fake.nextOpenDialog = { canceled: false, filePaths: [specPath] };
  out.openSpec = await fake.ipcHandlers.get('schedbench:open-spec')(from(appFrame, wc), {});
  const chooseTrace = fake.ipcHandlers.get('schedbench:choose-trace');
  const tracePath = join(dir, 'trace.csv');
  fake.nextOpenDialog = { canceled: false, filePaths: [tracePath] };
  out.chooseTrace = { chosen: await chooseTrace(from(appFrame, wc), {}) };
  out.chooseTrace.dialog = {
    parentIsWindow: fake.lastOpenDialog.parent === win,
    options: fake.lastOpenDialog.options,
  };
  fake.nextOpenDialog = { canceled: true, filePaths: [] };
  out.chooseTrace.cancelled = await chooseTrace(from(appFrame, wc), {});
  fake.nextOpenDialog = { canceled: false, filePaths: [tracePath] };
  fake.lastOpenDialog = null;
  const refusal = async (event, input) => {
    try {
      await chooseTrace(event, input);
      return null;
    } catch (err) {
      return err.message;
    }
  };
  out.chooseTrace.foreignRefused = await refusal(
    from({ url: 'https://evil.example/', parent: null, isDestroyed: () => false }, wc),
    {},
  );
  out.chooseTrace.badInputRefused = await refusal(from(appFrame, wc), { defaultPath: '/etc' });
  out.chooseTrace.refusedShowedDialog = fake.lastOpenDialog !== null;
  fake.nextSaveDialog = { canceled: false, filePath: join(dir, 'report.csv') };
  out.saveFile = await fake.ipcHandlers.get('schedbench:save-file')(from(appFrame, wc), {
    suggestedName: 'report.csv',
    content: 'a,b\n',
    kind: 'csv',
  });
  out.savedText = readFileSync(join(dir, 'report.csv'), 'utf8');
  fake.nextSaveDialog = { canceled: false, filePath: join(dir, 'compare.pdf') };
  out.savePdf = await fake.ipcHandlers.get('schedbench:save-pdf')(from(appFrame, wc), {
    suggestedName: 'compare.pdf',
    title: 'Compare 2 runs',
    sweep: 'wiring',
  });
  out.savedPdf = readFileSync(join(dir, 'compare.pdf'), 'utf8');
  out.pdfOptions = wc.pdfOptions;
  try {
    await fake.ipcHandlers.get('schedbench:save-file')(from(appFrame, wc), {
      suggestedName: '../x',
      content: '',
    });
    out.pathRefused = null;
  } catch (err) {
    out.pathRefused = err.message;
  }
  try {
    await fake.ipcHandlers.get('schedbench:open-spec')(
      from({ url: 'https://evil.example/', parent: null, isDestroyed: () => false }, wc),
      {},
    );
    out.foreignDialogRefused = null;
  } catch (err) {
    out.foreignDialogRefused = err.message;
  }

  const fileMenu = fake.menu.template[0].submenu;
  fileMenu.find((i) => i.label === 'New sweep…').click();
  fileMenu.find((i) => i.label === 'Save report…').click();
  fake.nextOpenDialog = { canceled: false, filePaths: [specPath] };
  fileMenu.find((i) => i.label === 'Open spec…').click();
  await until('the open-spec menu command', () =>
    wc.sent.some(([channel, command]) => channel === 'schedbench:menu' && command === 'open-spec'),
  );
  out.afterNewSweep = win.url;
  out.menuCommands = wc.sent
    .filter(([channel]) => channel === 'schedbench:menu')
    .map(([, command]) => command);
  fake.menu.template.at(-1).submenu[0].click();
  await sleep(10);
  out.opened = [...fake.opened];

  app.quit();
  await until('the quit', () => fake.quit, 15_000);
  out.quitRequests = fake.quitRequests;
  out.finalStatus = wc.sent.filter(([channel]) => channel === 'schedbench:runner-status').at(-1)[1].state;
  out.errors = fake.errors;
}

const out = {};
scenario(out)
  .catch((err) => {
    out.failure = err.stack ?? String(err);
  })
  .finally(() => {
    process.stdout.write(`SCENARIO ${JSON.stringify(out)}\n`);
    process.exit(0);
  });
