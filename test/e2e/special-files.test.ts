import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, type CliResult } from '../helpers/cli.js';

// Special files (a FIFO, /dev/zero, a directory) and oversize files named as a spec, a trace or a
// dataset to preview are refused at once with exit 2 (InputError), naming the file and what it is.
// Every child has a short timeout and is killed past it, so a regression (a read that blocks on
// the FIFO, or fills memory from /dev/zero) fails the test instead of hanging it.

const TIMEOUT_MS = 20_000;
let dir: string;
let fifo: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedbench-special-'));
  fifo = join(dir, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
});

function cli(args: string[]): CliResult & { ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    killSignal: 'SIGKILL',
    // A regressed reader of /dev/zero stops at this heap instead of taking the machine's memory.
    env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=512' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

function spec(name: string, tracePath: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'machine: a100-llama2-7b',
      'requests: 50',
      'workloads:',
      `  - name: w`,
      `    trace: { path: ${JSON.stringify(tracePath)}, format: azure }`,
      '    rate: [2]',
      'policies:',
      '  - { policy: vllm }',
      '',
    ].join('\n'),
  );
  return file;
}

function expectRefused(r: CliResult & { ms: number }, message: RegExp): void {
  expect(r.code, `${r.stderr} (after ${r.ms} ms)`).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
}

describe('special and oversize files are refused promptly with exit 2', () => {
  it('a FIFO as the spec', () => {
    const r = cli(['sweep', fifo, '--db', join(dir, 'a.db'), '--jobs', '1']);
    expectRefused(
      r,
      /pipe\.csv: is a named pipe \(FIFO\), not a regular file; a spec file must be a regular file/,
    );
  });

  it('a FIFO as a trace in a spec', () => {
    const r = cli(['sweep', spec('fifo-trace', fifo), '--db', join(dir, 'b.db'), '--jobs', '1']);
    expectRefused(r, /pipe\.csv: is a named pipe \(FIFO\), not a regular file.*named by `trace\.path`/);
  });

  it('/dev/zero as a trace', () => {
    const r = cli(['sweep', spec('zero-trace', '/dev/zero'), '--db', join(dir, 'c.db'), '--jobs', '1']);
    expectRefused(r, /\/dev\/zero: is a character device, not a regular file/);
  });

  it('a directory as a trace', () => {
    const sub = join(dir, 'folder.csv');
    mkdirSync(sub);
    const r = cli(['sweep', spec('dir-trace', sub), '--db', join(dir, 'd.db'), '--jobs', '1']);
    expectRefused(r, /folder\.csv: is a directory, not a regular file/);
  });

  it('a trace over the size limit (sparse), naming its size and the limit', () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'TIMESTAMP,ContextTokens,GeneratedTokens\n');
    truncateSync(big, 4 * 1024 ** 3 + 300 * 1024 * 1024);
    const r = cli(['sweep', spec('big-trace', big), '--db', join(dir, 'e.db'), '--jobs', '1']);
    expectRefused(
      r,
      /big\.csv: is 4\.3 GiB \(4609540096 bytes\), over the 4 GiB limit for a trace or lengths file.*cut it/,
    );
  });

  it('a 300 MiB trace without a line end (sparse) is refused at its line, within a 512 MiB heap', () => {
    const big = join(dir, 'one-line.csv');
    writeFileSync(big, 'TIMESTAMP,ContextTokens,GeneratedTokens\n');
    truncateSync(big, 300 * 1024 * 1024);
    const r = cli(['sweep', spec('one-line-trace', big), '--db', join(dir, 'g.db'), '--jobs', '1']);
    expectRefused(r, /one-line\.csv:2: not valid CSV: no end of record within 16 MiB of text from this line/);
  });

  it('a spec over its size limit (sparse)', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'name: big\n');
    truncateSync(big, 2 * 1024 * 1024);
    const r = cli(['sweep', big, '--db', join(dir, 'f.db'), '--jobs', '1']);
    expectRefused(r, /big\.yaml: is 2 MiB \(2097152 bytes\), over the 1 MiB limit for a spec file/);
  });

  it('datasets.preview of a FIFO and of /dev/zero through the API: bad input, no contents echoed', () => {
    for (const [path, what] of [
      [fifo, 'a named pipe \\(FIFO\\)'],
      ['/dev/zero', 'a character device'],
    ]) {
      const r = cli(['api', 'datasets.preview', JSON.stringify({ path }), '--db', join(dir, 'g.db')]);
      expect(r.code, `${r.stderr} (after ${r.ms} ms)`).toBe(2);
      expect(r.stdout + r.stderr).toMatch(new RegExp(`is ${what}, not a regular file`));
      expect(r.stdout + r.stderr).not.toContain('\u0000');
    }
  });

  it('datasets.import of a FIFO through the API', () => {
    const r = cli([
      'api',
      'datasets.import',
      JSON.stringify({
        path: fifo,
        name: 'piped',
        format: 'csv',
        columns: { arrival: 'TIMESTAMP', prompt: 'ContextTokens', output: 'GeneratedTokens' },
        timestampFormat: 'datetime',
      }),
      '--db',
      join(dir, 'h.db'),
    ]);
    expect(r.code, `${r.stderr} (after ${r.ms} ms)`).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/is a named pipe \(FIFO\), not a regular file/);
  });
});
