import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeOf, resolveStaticPath } from '../../../runner/api/static-files.js';

/**
 * A renderer build with a secret next to it (what a traversal would reach) and a symbolic link
 * from inside the build to outside it.
 */
const root = realpathSync(mkdtempSync(join(tmpdir(), 'schedbench-static-')));
const build = join(root, 'renderer');
mkdirSync(join(build, 'assets'), { recursive: true });
writeFileSync(join(build, 'index.html'), '<!doctype html>');
writeFileSync(join(build, 'assets', 'app.js'), 'export {}');
writeFileSync(join(build, 'assets', 'a b.css'), 'body {}');
writeFileSync(join(root, 'secret.txt'), 'secret');
symlinkSync(join(root, 'secret.txt'), join(build, 'link.txt'));
symlinkSync(root, join(build, 'up'));

describe('resolveStaticPath', () => {
  it('maps / to index.html and paths to files inside the build', () => {
    expect(resolveStaticPath(build, '/')).toBe(join(build, 'index.html'));
    expect(resolveStaticPath(build, '/index.html')).toBe(join(build, 'index.html'));
    expect(resolveStaticPath(build, '/assets/app.js')).toBe(join(build, 'assets', 'app.js'));
    expect(resolveStaticPath(build, '/assets/a%20b.css')).toBe(join(build, 'assets', 'a b.css'));
  });

  it.each([
    ['/../secret.txt'],
    ['/assets/../../secret.txt'],
    ['/assets/../index.html'], // even a `..` that stays inside is refused
    ['/%2e%2e/secret.txt'],
    ['/%2E%2E/secret.txt'],
    ['/assets/%2e%2e/%2e%2e/secret.txt'],
    ['/%2e%2e%2fsecret.txt'],
    ['/assets%2f..%2f..%2fsecret.txt'],
    ['/..%5csecret.txt'],
    ['/%5c..%5csecret.txt'],
    ['/./index.html'],
    ['/%2e/index.html'],
    [`/${encodeURIComponent(join(root, 'secret.txt'))}`], // an absolute path as one segment
    [join(root, 'secret.txt')], // the secret's absolute path, read as relative to the build
    [`/${join(root, 'secret.txt')}`], // the same after `//`
    ['//etc/passwd'],
    ['/%2fetc%2fpasswd'],
    ['/etc/passwd'],
    ['/index.html%00.js'],
    ['/%E0%A4%A'], // malformed escape
    ['/%252e%252e/secret.txt'], // double-encoded: decoded once, names a file `%2e%2e` that is not there
    ['index.html'], // not a path
    ['/link.txt'], // a symbolic link out of the build
    ['/up/secret.txt'], // a linked folder out of the build
    ['/assets'], // a folder
    ['/assets/'],
    ['/missing.js'],
  ])('refuses %s', (path) => {
    expect(resolveStaticPath(build, path)).toBeNull();
  });

  it('finds nothing in a build folder that does not exist', () => {
    expect(resolveStaticPath(join(root, 'absent'), '/')).toBeNull();
  });
});

describe('contentTypeOf', () => {
  it('names the types of a web build and falls back to octet-stream', () => {
    expect(contentTypeOf('/x/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('/x/app.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('/x/app.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeOf('/x/logo.svg')).toBe('image/svg+xml');
    expect(contentTypeOf('/x/font.woff2')).toBe('font/woff2');
    expect(contentTypeOf('/x/data.bin')).toBe('application/octet-stream');
    expect(contentTypeOf('/x/Makefile')).toBe('application/octet-stream');
  });
});
