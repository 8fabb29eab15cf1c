import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { DEFAULT_CSV_TRACE_COLUMNS, readGenericTrace } from '../../../runner/workloads/generic-trace.js';
import {
  formatBytes,
  MAX_INPUT_FILE_BYTES,
  MAX_SPEC_FILE_BYTES,
  MAX_STREAMED_FILE_BYTES,
  readRegularFile,
  readRegularFileHead,
} from '../../../runner/workloads/regular-file.js';

// FIFOs and /dev/zero are tested in child processes (test/e2e/special-files.test.ts): here a
// regression would block or fill this worker. The special files below read harmlessly even then.

let dir: string;
let server: Server | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-regular-'));
});

afterAll(() => {
  server?.close();
});

function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('readRegularFile', () => {
  it('reads a regular file, an empty one, and one through a symbolic link', () => {
    const file = join(dir, 'ok.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    expect(readRegularFile(file).toString()).toBe('a,b\n1,2\n');
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    expect(readRegularFile(empty).length).toBe(0);
    const link = join(dir, 'link.csv');
    symlinkSync(file, link);
    expect(readRegularFile(link).toString()).toBe('a,b\n1,2\n');
  });

  it('refuses a missing file, naming the file and the field', () => {
    const e = inputError(() => readRegularFile(join(dir, 'nope.csv'), { field: 'trace.path' }));
    expect(e.message).toBe(`${join(dir, 'nope.csv')}: file not found (named by \`trace.path\`)`);
    expect(e.location).toEqual({ file: join(dir, 'nope.csv'), field: 'trace.path' });
    expect(inputError(() => readRegularFile(join(dir, 'nope.yaml'), { what: 'spec file' })).message).toMatch(
      /nope\.yaml: spec file not found/,
    );
  });

  it('refuses a directory', () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(inputError(() => readRegularFile(sub, { what: 'trace' })).message).toBe(
      `${sub}: is a directory, not a regular file; a trace must be a regular file`,
    );
  });

  it('refuses a character device (/dev/null) and a symbolic link to one', () => {
    expect(inputError(() => readRegularFile('/dev/null')).message).toMatch(
      /^\/dev\/null: is a character device, not a regular file/,
    );
    const link = join(dir, 'null.csv');
    symlinkSync('/dev/null', link);
    expect(inputError(() => readRegularFile(link)).message).toMatch(/null\.csv: is a character device/);
  });

  it('refuses kernel pseudo-files under /proc and /sys, even through a link', () => {
    expect(inputError(() => readRegularFile('/proc/self/status')).message).toMatch(
      /^\/proc\/self\/status: is a kernel pseudo-file under \/proc or \/sys/,
    );
    const link = join(dir, 'status.csv');
    symlinkSync('/proc/self/status', link);
    expect(inputError(() => readRegularFile(link)).message).toMatch(/status\.csv: is a kernel pseudo-file/);
  });

  it('refuses a socket', async () => {
    const path = join(dir, 'sock');
    server = createServer();
    await new Promise<void>((done) => server!.listen(path, done));
    expect(inputError(() => readRegularFile(path)).message).toMatch(/sock: is a socket/);
  });

  it('refuses a file over the limit, naming its size, the limit and the workaround', () => {
    const file = join(dir, 'big.csv');
    writeFileSync(file, 'x'.repeat(3 * 1024));
    const e = inputError(() => readRegularFile(file, { maxBytes: 1024, what: 'trace', field: 'trace.path' }));
    expect(e.message).toMatch(
      /big\.csv: is 3 KiB \(3072 bytes\), over the 1 KiB limit for a trace \(named by `trace\.path`\); cut it/,
    );
    expect(readRegularFile(file, { maxBytes: 3 * 1024 }).length).toBe(3 * 1024);
  });

  it('refuses a sparse trace over the streamed limit (4 GiB), before reading it', () => {
    const file = join(dir, 'sparse.csv');
    writeFileSync(file, '');
    truncateSync(file, MAX_STREAMED_FILE_BYTES + 1);
    const started = Date.now();
    const e = inputError(() =>
      readGenericTrace(
        file,
        { format: 'csv', columns: DEFAULT_CSV_TRACE_COLUMNS, timeUnit: 's', timestampFormat: 'seconds' },
        'trace.path',
      ),
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.message).toMatch(
      /sparse\.csv: is 4\.0 GiB \(4294967297 bytes\), over the 4 GiB limit for a trace or lengths file \(named by `trace\.path`\)/,
    );
  });

  it('the limits', () => {
    expect(MAX_INPUT_FILE_BYTES).toBe(256 * 1024 * 1024);
    expect(MAX_STREAMED_FILE_BYTES).toBe(4 * 1024 ** 3);
    expect(MAX_SPEC_FILE_BYTES).toBe(1024 * 1024);
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GiB');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MiB');
    expect(formatBytes(80)).toBe('80 bytes');
  });
});

describe('readRegularFileHead', () => {
  it('reads the first bytes and gives the size', () => {
    const file = join(dir, 'head.csv');
    writeFileSync(file, '0123456789');
    const { head, size } = readRegularFileHead(file, 4);
    expect(head.toString()).toBe('0123');
    expect(size).toBe(10);
    expect(readRegularFileHead(file, 100).head.toString()).toBe('0123456789');
  });

  it('refuses what readRegularFile refuses', () => {
    expect(inputError(() => readRegularFileHead('/dev/null', 10, { field: 'path' })).message).toMatch(
      /^\/dev\/null: is a character device.*\(named by `path`\)$/,
    );
  });
});
