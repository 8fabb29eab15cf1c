import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUNS_COLUMNS } from '../../runner/cli/runs-command.js';
import { REPO, runCli, startCli } from '../helpers/cli.js';

/**
 * The CLI on a terminal (docs/decisions.md), through the built CLI (dist/): `runs` columns and
 * filters, `summary` as a table, `machines` at 100 columns, read-only commands on a database or a
 * sweep that does not exist, `--version`, Ctrl-C on a sweep, every problem of a spec at once, and
 * `prepare` building only when the sources changed. The progress bar needs a terminal: its unit
 * test renders it through cli-progress (test/unit/cli/terminal-output.test.ts).
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-terminal-'));
const db = join(dir, 'terminal.db');
/** Terminal-width defaults from $COLUMNS: pinned, so that the tests do not depend on the shell's. */
const env = { COLUMNS: '100' };
const cli = (args: string[]) => runCli(args, { env });

function specFile(name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [...lines, ''].join('\n'));
  return file;
}

const small = specFile('small', [
  'name: small',
  'machine: a100-llama2-7b',
  'requests: 150',
  'seeds: [1, 2]',
  'workloads:',
  '  - name: synthetic',
  '    arrival: {process: poisson, rate: [2, 4]}',
  '    promptTokens: {dist: uniform, min: 50, max: 400}',
  '    outputTokens: {dist: uniform, min: 20, max: 200}',
  'policies:',
  '  - {policy: vllm, maxNumSeqs: [8, 64]}',
  '  - {policy: sarathi, chunkSize: 256}',
]);

beforeAll(() => {
  const r = cli(['sweep', small, '--db', db, '--jobs', '1']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe('1');
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schedbench runs', () => {
  it('prints a default set of columns, machine included, within 160 characters', () => {
    const r = cli(['runs', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 12);
    expect(lines[0].split(/\s+/)).toEqual([...DEFAULT_RUNS_COLUMNS]);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(160);
    expect(lines[2]).toMatch(/^ *1 +1 +a100-llama2-7b +synthetic +vllm /);
  });

  it('prints the columns asked for; CSV and JSON carry the machine too', () => {
    const r = cli(['runs', '--db', db, '--columns', 'id,machine,policy,ttft_p50_s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0].split(/\s+/)).toEqual(['id', 'machine', 'policy', 'ttft_p50_s']);
    const csv = cli(['runs', '--db', db, '--format', 'csv']).stdout.split('\r\n');
    expect(csv[0].split(',')).toContain('machine');
    expect(csv[1]).toMatch(/,a100-llama2-7b,/);
    const chosen = cli(['runs', '--db', db, '--format', 'csv', '--columns', 'id,machine']).stdout;
    expect(chosen.split('\r\n').slice(0, 2)).toEqual(['id,machine', '1,a100-llama2-7b']);
    const json = JSON.parse(cli(['runs', '--db', db, '--format', 'json']).stdout) as { machine: string }[];
    expect(json).toHaveLength(12);
    for (const run of json) expect(run.machine).toBe('a100-llama2-7b');
    const flat = JSON.parse(cli(['runs', '--db', db, '--format', 'json', '--columns', 'id,rate']).stdout);
    expect(flat[0]).toEqual({ id: 1, rate: 2 });
  });

  it('filters by policy and by rate or a range of rates', () => {
    const rows = (args: string[]) =>
      JSON.parse(
        cli(['runs', '--db', db, '--format', 'json', '--columns', 'policy,rate', ...args]).stdout,
      ) as {
        policy: string;
        rate: number;
      }[];
    const sarathi = rows(['--policy', 'sarathi']);
    expect(sarathi).toHaveLength(4);
    expect(new Set(sarathi.map((r) => r.policy))).toEqual(new Set(['sarathi']));
    expect(rows(['--rate', '4']).map((r) => r.rate)).toEqual(Array(6).fill(4));
    expect(rows(['--rate', '3..5'])).toHaveLength(6);
    expect(rows(['--rate', '..2', '--policy', 'vllm,sarathi'])).toHaveLength(6);
    expect(rows(['--policy', 'vllm', '--rate', '4..'])).toHaveLength(4);
    const none = cli(['runs', '--db', db, '--policy', 'magic']);
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/no run matches the filters \(policies here: sarathi, vllm; rates: 2, 4\)/);
    expect(cli(['runs', '--db', db, '--rate', 'fast']).code).toBe(2);
  });

  it('exits 2 for an unknown column, naming it and listing the valid ones', () => {
    const r = cli(['runs', '--db', db, '--columns', 'id,thruput']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /unknown column "thruput"; valid columns \(or all\): id, sweep_id, .*machine.*ttft_p99_s/,
    );
  });
});

describe('schedbench summary', () => {
  it('--format table: the verdict sentences, then an aligned table per workload and rate', () => {
    const r = cli(['summary', '1', '--db', db, '--format', 'table']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Verdicts, paired over seeds/);
    expect(lines.find((l) => l.startsWith('- '))).toMatch(/^- At [\d.]+ req\/s .* on synthetic, /);
    const first = lines.indexOf('synthetic at 2 req/s');
    expect(first).toBeGreaterThan(lines.findIndex((l) => l.startsWith('- ')));
    expect(lines).toContain('synthetic at 4 req/s');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
    // The table's lines all have the same width, its columns one per policy.
    const table = lines.slice(first + 1, lines.indexOf('', first));
    expect(new Set(table.map((l) => [...l].length)).size).toBe(1);
    expect(table[1]).toMatch(/^│ +│ +sarathi │ +vllm maxNumSeqs=64 │ +vllm maxNumSeqs=8 │$/);
    expect(table.some((l) => /^│ e2e_p99_s +│ +[\d.]+ ± [\d.]+ │/.test(l))).toBe(true);
  });

  it('is Markdown when stdout is not a terminal (and with --format markdown); JSON is unchanged', () => {
    const piped = cli(['summary', '1', '--db', db]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/^\| workload \| rate \(req\/s\) \| policy \|/m);
    expect(cli(['summary', '1', '--db', db, '--format', 'markdown']).stdout).toBe(piped.stdout);
    const json = JSON.parse(cli(['summary', '1', '--db', db, '--format', 'json']).stdout) as object;
    expect(Object.keys(json)).toEqual(['rows', 'verdicts', 'notes']);
    expect(cli(['summary', '1', '--db', db, '--format', 'html']).code).toBe(2);
  });
});

describe('schedbench machines', () => {
  it('is readable at 100 columns: every line fits, the sources under each machine', () => {
    const r = cli(['machines', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(r.stdout).toMatch(/^a100-llama2-7b +A100-80GB +meta-llama\/Llama-2-7b-hf +profile +7424 +16$/m);
    expect(r.stdout).toMatch(/^h100-phi2 +[\d.]+ +[\d.e-]+ +[\d.e-]+ +[\d.]+ +fit$/m);
    expect(r.stdout).toMatch(/^a100-llama2-7b:\n {2}token-wise operators: Vidur profile/m);
    expect(r.stdout).toMatch(/GPU worker machines \(schedbench machines add\):\n {2}none/);
  });

  it('lists the built-in machines without creating a database that does not exist', () => {
    const missing = join(dir, 'no-such-machines.db');
    const r = cli(['machines', '--db', missing]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^a100-llama2-7b +A100-80GB/m);
    expect(r.stderr).toMatch(/no database at .*no-such-machines\.db: no GPU worker machines or calibrations/);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('a database or a sweep that does not exist', () => {
  it('read-only commands exit 2 naming the path, and create nothing', () => {
    const missing = join(dir, 'typo', 'x.db');
    const fluidSpec = small;
    for (const args of [
      ['runs'],
      ['runs', '--sweep', '1'],
      ['summary', '1'],
      ['summary', '--latest'],
      ['capacity', '1'],
      ['report', '1', '--out', join(dir, 'never.html')],
      ['compare', '1', '2'],
      ['fluid', fluidSpec],
      ['machines', 'check', 'gpu1'],
      ['machines', 'remove', 'gpu1'],
    ]) {
      const r = cli([...args, '--db', missing]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^schedbench: no database at .*typo\/x\.db: check the path/);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(existsSync(join(dir, 'typo'))).toBe(false);
    expect(existsSync(join(dir, 'never.html'))).toBe(false);
    // The default database ($SCHEDBENCH_DB here) is not created either.
    const r = runCli(['runs'], { env: { SCHEDBENCH_DB: missing } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /no database at .*typo\/x\.db \(the default database; give another with --db FILE\)/,
    );
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('runs --sweep, summary, capacity and report exit 2 for an unknown sweep', () => {
    for (const args of [
      ['runs', '--sweep', '9'],
      ['summary', '9'],
      ['capacity', '9'],
      ['report', '9', '--out', join(dir, 'never.html')],
    ]) {
      const r = cli([...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^schedbench: no sweep 9 in the database .*terminal\.db \(its sweeps: 1\)/);
      expect(r.stdout).toBe('');
    }
  });
});

describe('schedbench --version', () => {
  it("prints package.json's version", () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = cli([flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });
});

describe('a spec with several problems', () => {
  it('lists every schema problem with its file:line, in line order; exit 2, nothing stored', () => {
    const bad = specFile('bad', [
      'name: bad', //                                              1
      'machine: a100-llama2-7b', //                                2
      'requests: 50', //                                           3
      'workloads:', //                                             4
      '  - name: w', //                                            5
      '    arrival: {process: poisson, rate: [2, -3]}', //        6
      '    promptTokens: {dist: uniform, min: 50, max: 400}', //  7
      '    outputTokens: {dist: uniform, min: 20, max: 200}', //  8
      '    colour: red', //                                        9
      'policies:', //                                              10
      '  - { policy: vllm, maxNumSeq: 64, foo: 1 }', //           11
      '  - { policy: magic }', //                                  12
    ]);
    const badDb = join(dir, 'bad.db');
    const r = cli(['sweep', bad, '--db', badDb]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `schedbench: ${bad}:6: workloads[0].arrival.rate[1]: a rate must be at least 0.000001 requests per second (and positive)`,
      `${bad}:9: workloads[0].colour: unknown field "colour"`,
      `${bad}:11: policies[0].maxNumSeq: unknown field "maxNumSeq"`,
      `${bad}:11: policies[0].foo: unknown field "foo"`,
      `${bad}:12: policies[1].policy: unknown policy "magic" (known: vllm, sarathi, fcfs, vllm-v1, wait, nested-wait, mc-sf)`,
    ]);
    expect(existsSync(badDb)).toBe(false);

    const top = specFile('top', [
      'name: top',
      'machine: a100-llama2-7b',
      'requests: -5',
      'sedes: [1]',
      'workloads: []',
      'policies: [{policy: fcfs}]',
    ]);
    const t = cli(['sweep', top, '--db', badDb]);
    expect(t.code).toBe(2);
    expect(t.stderr.trimEnd().split('\n')).toEqual([
      `schedbench: ${top}:3: requests: Too small: expected number to be >0`,
      `${top}:4: sedes: unknown field "sedes"`,
      `${top}:5: workloads: Too small: expected array to have >=1 items`,
    ]);
    expect(existsSync(badDb)).toBe(false);
  });

  it('lists at most 20 and says how many more there are', () => {
    const fields = Array.from({ length: 25 }, (_, i) => `extra${i}: 1`);
    const many = specFile('many', [
      'name: many',
      'machine: a100-llama2-7b',
      ...fields,
      'workloads: [{name: w, types: [{prompt: 1, output: 1, rate: 1}]}]',
      'policies: [{policy: fcfs}]',
    ]);
    const r = cli(['sweep', many, '--db', join(dir, 'many.db')]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe(`schedbench: ${many}:3: extra0: unknown field "extra0"`);
    expect(lines[19]).toBe(`${many}:22: extra19: unknown field "extra19"`);
    expect(lines[20]).toBe('... and 5 more problems');
  });
});

describe('Ctrl-C on a sweep', () => {
  it('stops it: says how many runs are done and how to resume, requeues the runs in flight, exits 130', async () => {
    const arxiv = join(
      REPO,
      'data/vidur/data/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
    );
    const spec = specFile('interrupt', [
      'name: interrupt',
      'machine: a100-llama2-7b',
      'requests: 10000',
      'seeds: [1, 2, 3]',
      'workloads:',
      '  - name: arxiv',
      `    lengths: { path: ${JSON.stringify(arxiv)} }`,
      '    arrival: { process: poisson, rate: 2 }',
      'policies: [{ policy: vllm }, { policy: sarathi }]',
    ]);
    const sweepDb = join(dir, 'interrupt.db');
    const child = startCli(['sweep', spec, '--db', sweepDb, '--jobs', '1']);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    let stderr = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (/^\[1\/6\] run \d+ .*: \d+\.\d+ s$/m.test(stderr)) resolve();
      });
      child.on('exit', (code) =>
        reject(new Error(`the sweep ended (${code}) before a run was done:\n${stderr}`)),
      );
    });
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 130, signal: null });
    const match =
      /interrupted: sweep 1 \(interrupt\) has (\d+) of 6 run\(s\) done \((\d+) in this invocation\), 0 failed; the runs in flight were queued again\. Run the same command again to resume:\n {2}schedbench sweep (\S+) --db (\S+)\n$/.exec(
        stderr,
      );
    expect(match, stderr).not.toBeNull();
    const done = Number(match![1]);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(6);
    expect(match![3]).toBe(spec);
    expect(match![4]).toBe(sweepDb);
    expect(stdout).toBe('1\n');

    const conn = new Database(sweepDb, { readonly: true });
    const counts = Object.fromEntries(
      (
        conn.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status').all() as {
          status: string;
          n: number;
        }[]
      ).map((r) => [r.status, r.n]),
    );
    conn.close();
    expect(counts).toEqual({ done, queued: 6 - done });

    const resumed = cli(['sweep', spec, '--db', sweepDb, '--jobs', '2']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      new RegExp(`resuming sweep 1 \\(${done} run\\(s\\) already done\\): ${6 - done} run\\(s\\) to execute`),
    );
  }, 120_000);
});

describe('npm install leaves nothing for npx schedbench to rebuild', () => {
  it('prepare builds dist/ once, then only when a source is newer than the last build', () => {
    const scripts = (
      JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.prepare).toBe('node bin/build-if-stale.js');
    expect(scripts.build).toMatch(/ && node bin\/build-if-stale\.js --stamp$/);

    // A package shaped like this one whose build only counts how often it ran.
    const pkg = join(dir, 'pkg');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    mkdirSync(join(pkg, 'runner', 'cli'), { recursive: true });
    copyFileSync(join(REPO, 'bin', 'build-if-stale.js'), join(pkg, 'bin', 'build-if-stale.js'));
    writeFileSync(join(pkg, 'runner', 'cli', 'main.ts'), 'export {};\n');
    writeFileSync(
      join(pkg, 'build.js'),
      [
        "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
        "mkdirSync('dist/runner/cli', { recursive: true });",
        "writeFileSync('dist/runner/cli/main.js', '');",
        "appendFileSync('builds.txt', 'built\\n');",
      ].join('\n'),
    );
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'stale-check',
        private: true,
        type: 'module',
        scripts: { build: 'node build.js && node bin/build-if-stale.js --stamp' },
      }),
    );
    const prepare = () => {
      const r = spawnSync(process.execPath, ['bin/build-if-stale.js'], { cwd: pkg, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stderr;
    };
    const builds = () => readFileSync(join(pkg, 'builds.txt'), 'utf8').split('\n').filter(Boolean).length;

    expect(prepare()).toMatch(/schedbench: building dist\/ \(dist\/ has not been built yet\)/);
    expect(builds()).toBe(1);
    expect(prepare()).toMatch(/schedbench: dist\/ is up to date; nothing to build/);
    expect(builds()).toBe(1);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(pkg, 'runner', 'cli', 'main.ts'), later, later);
    expect(prepare()).toMatch(/schedbench: building dist\/ \(sources changed since the last build\)/);
    expect(builds()).toBe(2);
  });
});
