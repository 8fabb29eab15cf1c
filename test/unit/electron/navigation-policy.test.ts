import { describe, expect, it } from 'vitest';
import {
  downloadAllowed,
  navigationDecision,
  windowOpenDecision,
} from '../../../electron/navigation-policy.js';

describe('navigation policy', () => {
  it('allows navigation within the app origin only', () => {
    expect(navigationDecision('app://schedbench/index.html')).toEqual({ allow: true, openExternal: null });
    expect(navigationDecision('app://schedbench/index.html#/sweeps')).toEqual({
      allow: true,
      openExternal: null,
    });
    for (const url of [
      'app://other/index.html',
      'file:///etc/passwd',
      'https://evil.example/',
      'about:blank',
    ]) {
      expect(navigationDecision(url), url).toEqual({ allow: false, openExternal: null });
    }
  });

  it('turns a navigation to an allowed external link into opening it in the browser', () => {
    expect(navigationDecision('https://arxiv.org/abs/2504.11320')).toEqual({
      allow: false,
      openExternal: 'https://arxiv.org/abs/2504.11320',
    });
    expect(navigationDecision('https://arxiv.org@evil.com/')).toEqual({ allow: false, openExternal: null });
  });

  it('never opens a window, not even of the app', () => {
    expect(windowOpenDecision('app://schedbench/index.html')).toEqual({ allow: false, openExternal: null });
    expect(windowOpenDecision('https://github.com/microsoft/vidur')).toEqual({
      allow: false,
      openExternal: 'https://github.com/microsoft/vidur',
    });
    expect(windowOpenDecision('javascript:alert(1)')).toEqual({ allow: false, openExternal: null });
  });

  it('allows downloads of the page’s own Blob URLs only', () => {
    expect(downloadAllowed('blob:app://schedbench/0b8e4a52-4c65-4b1e-9c1f-5d0f4a0e1f6b')).toBe(true);
    for (const url of [
      'blob:https://evil.example/0b8e',
      'blob:app://other/0b8e',
      'https://github.com/x.zip',
      'app://schedbench/index.html',
      'data:application/octet-stream,x',
      'blob:',
    ]) {
      expect(downloadAllowed(url), url).toBe(false);
    }
  });
});
