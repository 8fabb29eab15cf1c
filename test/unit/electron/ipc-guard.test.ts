import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_ORIGIN, isAppUrl } from '../../../electron/app-origin.js';
import {
  guardApiCall,
  guardDesktopCall,
  senderRefusal,
  type IpcSender,
} from '../../../electron/ipc-guard.js';

const APP: IpcSender = { frameUrl: `${APP_ENTRY_URL}#/runs`, isMainFrame: true };

describe('app origin', () => {
  it('is app://schedbench, compared by scheme and host', () => {
    expect(APP_ORIGIN).toBe('app://schedbench');
    expect(isAppUrl('app://schedbench/index.html')).toBe(true);
    expect(isAppUrl('APP://SchedBench/assets/x.js?y#z')).toBe(true);
    for (const url of [
      'app://evil/index.html',
      'app://schedbench.evil.com/index.html',
      'app://user@schedbench/index.html',
      'app://schedbench:8080/index.html',
      'file:///work/main/dist/renderer/index.html',
      'http://127.0.0.1:5173/',
      'https://schedbench/',
      'about:blank',
      'not a url',
      '',
    ]) {
      expect(isAppUrl(url), url).toBe(false);
    }
    expect(isAppUrl(null)).toBe(false);
  });
});

describe('guardApiCall', () => {
  it('accepts a contract call from the app main frame, with defaults applied', () => {
    const r = guardApiCall(APP, 'runs.requests', { runId: 3 });
    expect(r).toEqual({ ok: true, op: 'runs.requests', input: { runId: 3, maxPoints: 20_000 } });
    expect(guardApiCall(APP, 'health', undefined)).toEqual({ ok: true, op: 'health', input: {} });
  });

  it('refuses a sender from another origin', () => {
    for (const frameUrl of [
      'https://evil.example/',
      'file:///tmp/x.html',
      'app://other/index.html',
      'data:text/html,x',
    ]) {
      const r = guardApiCall({ frameUrl, isMainFrame: true }, 'health', {});
      expect(r.ok, frameUrl).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('bad-input');
        expect(r.error.message).toMatch(/not the app \(app:\/\/schedbench\)/);
      }
    }
  });

  it('refuses a subframe, even on the app origin, and a frame that is gone', () => {
    const sub = guardApiCall({ frameUrl: APP_ENTRY_URL, isMainFrame: false }, 'health', {});
    expect(sub).toMatchObject({
      ok: false,
      error: { code: 'bad-input', message: expect.stringMatching(/subframe/) },
    });
    expect(senderRefusal({ frameUrl: null, isMainFrame: true })).toMatch(/gone/);
    expect(guardApiCall({ frameUrl: undefined, isMainFrame: true }, 'health', {}).ok).toBe(false);
  });

  it('refuses an operation the contract does not have', () => {
    for (const op of ['nope', 'constructor', '__proto__', 'toString', 42, null, { op: 'health' }]) {
      const r = guardApiCall(APP, op, {});
      expect(r, String(op)).toMatchObject({ ok: false, error: { code: 'not-found' } });
    }
  });

  it('refuses an input that fails the schema, naming the field', () => {
    const r = guardApiCall(APP, 'sweeps.get', { sweepId: -1 });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'sweepId' } });
    const extra = guardApiCall(APP, 'health', { sneaky: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    const wrongType = guardApiCall(APP, 'export.report', { runIds: [1], format: 'exe' });
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'bad-input', field: 'format' } });
  });
});

describe('guardDesktopCall', () => {
  it('accepts a save request with a plain file name', () => {
    const r = guardDesktopCall(APP, 'schedbench:save-file', {
      suggestedName: 'report.html',
      content: '<p>',
      kind: 'html',
    });
    expect(r).toEqual({ ok: true, input: { suggestedName: 'report.html', content: '<p>', kind: 'html' } });
    expect(guardDesktopCall(APP, 'schedbench:open-spec', undefined)).toEqual({ ok: true, input: {} });
  });

  it('accepts a trace dialog request from the app only, with no arguments', () => {
    expect(guardDesktopCall(APP, 'schedbench:choose-trace', {})).toEqual({ ok: true, input: {} });
    expect(guardDesktopCall(APP, 'schedbench:choose-trace', undefined)).toEqual({ ok: true, input: {} });
    for (const frameUrl of ['https://evil.example/', 'file:///tmp/x.html', 'app://other/index.html']) {
      const r = guardDesktopCall({ frameUrl, isMainFrame: true }, 'schedbench:choose-trace', {});
      expect(r, frameUrl).toMatchObject({
        ok: false,
        error: { code: 'bad-input', message: expect.stringMatching(/not the app/) },
      });
    }
    expect(
      guardDesktopCall({ frameUrl: APP_ENTRY_URL, isMainFrame: false }, 'schedbench:choose-trace', {}).ok,
    ).toBe(false);
    // The renderer cannot name the folder or the file: any argument is refused.
    for (const input of [{ path: '/etc/passwd' }, { defaultPath: '/' }, 'x', 42, []]) {
      const r = guardDesktopCall(APP, 'schedbench:choose-trace', input);
      expect(r, JSON.stringify(input)).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    }
  });

  it('refuses a path as a suggested name, unknown fields, and foreign senders', () => {
    for (const suggestedName of ['../x.html', '/etc/passwd', 'a\\b', '..', '', 'x\0y']) {
      const r = guardDesktopCall(APP, 'schedbench:save-pdf', { suggestedName });
      expect(r.ok, suggestedName).toBe(false);
    }
    expect(
      guardDesktopCall(APP, 'schedbench:save-file', { suggestedName: 'a', content: 'b', path: '/x' }).ok,
    ).toBe(false);
    expect(
      guardDesktopCall({ frameUrl: 'https://evil.example/', isMainFrame: true }, 'schedbench:open-spec', {})
        .ok,
    ).toBe(false);
  });
});
