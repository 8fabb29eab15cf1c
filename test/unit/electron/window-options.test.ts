import { describe, expect, it } from 'vitest';
import { appWindowOptions } from '../../../electron/window-options.js';

describe('window options', () => {
  it('make a sandboxed, context-isolated renderer without Node, devtools only in development', () => {
    const packaged = appWindowOptions('/app/dist/electron/preload.cjs', true).webPreferences!;
    expect(packaged).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    expect(appWindowOptions('/p', false).webPreferences!.devTools).toBe(true);
  });
});
