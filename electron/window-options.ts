import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The app window's options: a sandboxed, context-isolated renderer without Node.
 *
 * Sources: Electron security checklist (https://www.electronjs.org/docs/latest/tutorial/security),
 * items 2 "Do not enable Node.js integration for remote content", 3 "Enable context
 * isolation", 4 "Enable process sandboxing", 6 "Do not disable webSecurity", 8 "Do not enable
 * allowRunningInsecureContent", 9 "Do not enable experimental features", 12 "Verify WebView
 * options before creation" (no webview tag at all). Developer tools only in development.
 */
export function appWindowOptions(preloadPath: string, isPackaged: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Schedbench',
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: !isPackaged,
    },
  };
}
