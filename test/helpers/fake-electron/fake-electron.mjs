// A stand-in for the `electron` module, for running the compiled main process
// (dist/electron/main.js) under plain Node in test/e2e/electron/main-wiring.test.ts. It records
// what the main process registers and lets the scenario (main-scenario.mjs) drive it. Only what
// main.ts uses is here.
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';

/** Everything observed, shared with the scenario through globalThis. */
export const fake = {
  ready: false,
  sandboxEnabled: false,
  paths: { appData: '/tmp/fake-electron-appdata', documents: '/tmp' },
  privilegedSchemes: [],
  protocolHandlers: new Map(),
  ipcHandlers: new Map(),
  windows: [],
  menu: null,
  opened: [],
  errors: [],
  permissionRequestHandler: null,
  permissionCheckHandler: null,
  nextOpenDialog: { canceled: true, filePaths: [] },
  /** The last Open dialog shown: its parent window (or null) and its options. */
  lastOpenDialog: null,
  nextSaveDialog: { canceled: true },
  quitRequests: 0,
  quit: false,
};
globalThis.__fakeElectron = fake;

let resolveReady;
const readyPromise = new Promise((resolve) => {
  resolveReady = resolve;
});
fake.makeReady = () => {
  fake.ready = true;
  resolveReady();
};

class App extends EventEmitter {
  isPackaged = false;
  enableSandbox() {
    if (fake.ready) throw new Error('app.enableSandbox after ready');
    fake.sandboxEnabled = true;
  }
  setPath(name, path) {
    if (fake.ready) throw new Error('app.setPath after ready');
    fake.paths[name] = path;
  }
  getPath(name) {
    return fake.paths[name] ?? `/tmp/fake-electron-${name}`;
  }
  requestSingleInstanceLock() {
    return true;
  }
  whenReady() {
    return readyPromise;
  }
  isReady() {
    return fake.ready;
  }
  getVersion() {
    return '0.0.0-fake';
  }
  quit() {
    fake.quitRequests += 1;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) fake.quit = true;
  }
  exit(code) {
    fake.exitCode = code;
  }
}
export const app = new App();

class WebContents extends EventEmitter {
  static nextId = 1;
  id = WebContents.nextId++;
  sent = [];
  windowOpenHandler = null;
  send(channel, ...args) {
    this.sent.push([channel, ...args]);
  }
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
  async printToPDF(options) {
    this.pdfOptions = options;
    return Buffer.from('%PDF-1.4 fake');
  }
}

export class BrowserWindow extends EventEmitter {
  static all = [];
  constructor(options) {
    super();
    if (!fake.ready) throw new Error('BrowserWindow before ready');
    this.options = options;
    this.webContents = new WebContents();
    this.destroyed = false;
    BrowserWindow.all.push(this);
    fake.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  static getAllWindows() {
    return BrowserWindow.all.filter((w) => !w.destroyed);
  }
  static fromWebContents(contents) {
    return BrowserWindow.all.find((w) => w.webContents === contents) ?? null;
  }
  async loadURL(url) {
    this.url = url;
    this.webContents.emit('did-finish-load');
    this.emit('ready-to-show');
  }
  isDestroyed() {
    return this.destroyed;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {}
  show() {
    this.shown = true;
  }
}

export const ipcMain = {
  handle(channel, handler) {
    fake.ipcHandlers.set(channel, handler);
  },
};

export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    if (fake.ready) throw new Error('registerSchemesAsPrivileged after ready');
    fake.privilegedSchemes.push(...schemes);
  },
  handle(scheme, handler) {
    fake.protocolHandlers.set(scheme, handler);
  },
};

const defaultSession = new EventEmitter();
defaultSession.setPermissionRequestHandler = (handler) => {
  fake.permissionRequestHandler = handler;
};
defaultSession.setPermissionCheckHandler = (handler) => {
  fake.permissionCheckHandler = handler;
};
export const session = { defaultSession };

export const shell = {
  async openExternal(url) {
    fake.opened.push(url);
  },
};

export const dialog = {
  async showMessageBox() {
    return { response: 1 };
  },
  showErrorBox(title, message) {
    fake.errors.push([title, message]);
  },
  async showOpenDialog(parentOrOptions, maybeOptions) {
    const parented = parentOrOptions instanceof BrowserWindow;
    fake.lastOpenDialog = {
      parent: parented ? parentOrOptions : null,
      options: parented ? maybeOptions : parentOrOptions,
    };
    return fake.nextOpenDialog;
  },
  async showSaveDialog() {
    return fake.nextSaveDialog;
  },
};

export const Menu = {
  buildFromTemplate(template) {
    return { template };
  },
  setApplicationMenu(menu) {
    fake.menu = menu;
  },
};

export const utilityProcess = {
  fork() {
    throw new Error('utilityProcess is for the packaged app only');
  },
};

export default { app, BrowserWindow, ipcMain, protocol, session, shell, dialog, Menu, utilityProcess };
