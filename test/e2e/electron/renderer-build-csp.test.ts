import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.js';

/**
 * The renderer build (dist/renderer/index.html, made by `npm run build:renderer`, which `npm test`
 * runs first) against the Content-Security-Policy the app serves it under
 * (electron/content-security-policy.ts: `script-src 'self'`, nothing remote). The policy itself
 * is checked without a build in test/unit/electron/content-security-policy.test.ts.
 */
describe('Content-Security-Policy', () => {
  it('matches the renderer build: every script is a file of the app, none inline', () => {
    const index = join(REPO, 'dist/renderer/index.html');
    expect(existsSync(index), `${index} is missing: run npm run build`).toBe(true);
    const html = readFileSync(index, 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\.?\/?assets\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+="/i); // no inline event handlers
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing remote
  });
});
