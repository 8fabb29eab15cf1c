import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MAX_SPEC_BYTES,
  readSpecFile,
  saveFilters,
  TRACE_FILTERS,
  writeFileAtomically,
} from '../../../electron/dialog-files.js';
import { stderrSummary } from '../../../electron/stderr-summary.js';

const dir = mkdtempSync(join(tmpdir(), 'schedbench-dialog-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dialog files', () => {
  it('reads a spec with the folder its relative paths resolve in', async () => {
    const path = join(dir, 'spec.yaml');
    writeFileSync(path, 'name: x\n');
    expect(await readSpecFile(path)).toEqual({ path, dir, yaml: 'name: x\n' });
  });

  it('refuses a folder and an oversized file, naming the path', async () => {
    await expect(readSpecFile(dir)).rejects.toThrow(`${dir}: not a file`);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, Buffer.alloc(MAX_SPEC_BYTES + 1, 0x20));
    await expect(readSpecFile(big)).rejects.toThrow(/big\.yaml: \d+ bytes/);
  });

  it('writes through a temporary file, leaving nothing else behind', async () => {
    const path = join(dir, 'out', 'report.csv');
    await expect(writeFileAtomically(path, 'a')).rejects.toThrow(); // missing folder
    const ok = join(dir, 'report.csv');
    await writeFileAtomically(ok, 'a,b\n');
    await writeFileAtomically(ok, new Uint8Array([0x63, 0x0a]));
    expect(readFileSync(ok, 'utf8')).toBe('c\n');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('offers the trace formats the runner reads, then all files', () => {
    expect(TRACE_FILTERS).toEqual([
      { name: 'Trace (CSV, JSON Lines)', extensions: ['csv', 'jsonl', 'ndjson', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ]);
  });

  it('offers the kind’s filter first', () => {
    expect(saveFilters('pdf')[0]).toEqual({ name: 'PDF document', extensions: ['pdf'] });
    expect(saveFilters(undefined)).toEqual([{ name: 'All files', extensions: ['*'] }]);
  });
});

describe('stderrSummary', () => {
  it('picks the error line of an uncaught exception', () => {
    const text = [
      '/x/node_modules/better-sqlite3/lib/database.js:69',
      '    [util.cppdb]: { value: new addon.Database(filename) },',
      '                           ^',
      'SqliteError: unable to open database file',
      '    at new Database (/x/database.js:69:26)',
      "  code: 'SQLITE_CANTOPEN'",
      '}',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    expect(stderrSummary(text)).toBe('SqliteError: unable to open database file');
    expect(stderrSummary("Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/x'\n")).toBe(
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/x'",
    );
  });

  it('falls back to the last lines, without Node noise', () => {
    expect(stderrSummary('one\ntwo\nthree\nfour\n\nNode.js v20.1.0\n')).toBe('two\nthree\nfour');
    expect(stderrSummary('')).toBe('');
  });
});
