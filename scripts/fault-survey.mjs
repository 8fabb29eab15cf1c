#!/usr/bin/env node
// Fault survey of the real CLI (issue 15's closing table): builds every input in a fresh tmp dir,
// runs `node bin/schedbench.js ...`, classifies each case and prints a Markdown table plus one line
// per case that was not clean. Also writes the table to $TMPDIR/fault-survey.md.
//
// Usage: node scripts/fault-survey.mjs [--only AREA] [--keep] [--verbose]
//   AREA: input | disk | db | writers | serve
//   --keep: leave the tmp dir of inputs; --verbose: print each CLI case's exit code, time, peak RSS
//   and first message line on stderr.
// Verdicts: clean (the promised exit code, a message naming the file or field, nothing stored for
// bad input); crash (a stack trace, "internal error", a signal); hang (past the time limit, or peak
// RSS over 2 GiB); lost (the database holds what it should not, or lacks a run); other (a wrong
// exit code or HTTP status without a stack, or an exit-2 message naming neither file nor field).
// Needs root for the tmpfs mounts (disk full, read-only mounts); without it those cases are
// reported as skipped.
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  closeSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO, 'bin/schedbench.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const HANG_MS = 60_000;
const BLOWUP_KB = 2 * 1024 * 1024; // 2 GiB
const IS_ROOT = process.getuid?.() === 0;

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const ONLY = onlyIdx >= 0 ? args[onlyIdx + 1] : null;
const KEEP = args.includes('--keep');
const VERBOSE = args.includes('--verbose');
const AREAS = {
  input: 'bad spec / trace inputs',
  disk: 'disk full (8 MiB tmpfs)',
  db: 'database read-only / corrupt / locked',
  writers: 'two `sweep`s of one spec on one database',
  serve: 'browser mode (token, Host/Origin, CORS, CSRF, traversal, bodies, 1,000 SSE streams)',
};
if (ONLY && !AREAS[ONLY]) {
  console.error(`fault-survey: --only must be one of ${Object.keys(AREAS).join(', ')}`);
  process.exit(2);
}

const ROOT = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'fault-survey-'));
const mounts = [];
const started = Date.now();

/** @type {{area: string, name: string, verdict: string, detail: string, cmd: string, code: any, stderr: string, note?: string}[]} */
const results = [];

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(node:[^)]*\))\s*$/m;
const INTERNAL =
  /internal error|Terminating worker thread|FATAL ERROR|Aborted \(core dumped\)|Segmentation fault/i;

function record(area, name, verdict, detail, extra = {}) {
  results.push({
    area,
    name,
    verdict,
    detail,
    cmd: extra.cmd ?? '',
    code: extra.code,
    stderr: extra.stderr ?? '',
    note: extra.note,
  });
  const mark = verdict === 'clean' ? 'ok  ' : verdict.toUpperCase().padEnd(4).slice(0, 5);
  process.stderr.write(`[${area}] ${mark} ${name}${verdict === 'clean' ? '' : `: ${detail}`}\n`);
}

function q(s) {
  return /^[\w./=:,@%+-]+$/.test(s) ? s : `'${String(s).replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

/**
 * Runs the CLI with `argv`; resolves {code, signal, stdout, stderr, ms, rssKb, timedOut}.
 * Through /usr/bin/time when present (peak RSS of the node process), else polls VmHWM.
 */
function cli(argv, { env = {}, timeoutMs = HANG_MS, cwd = REPO } = {}) {
  return new Promise((resolve) => {
    const timeFile = join(ROOT, `time-${Math.random().toString(36).slice(2)}.txt`);
    const cmd = TIME ? TIME : process.execPath;
    const full = TIME ? ['-f', '%M', '-o', timeFile, process.execPath, BIN, ...argv] : [BIN, ...argv];
    const child = spawn(cmd, full, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      if (stdout.length < 1e6) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      if (stderr.length < 1e6) stderr += d;
    });
    const t0 = Date.now();
    let timedOut = false;
    const poll = setInterval(() => {
      // Peak RSS of the whole group (node under time): VmHWM of any process in it.
      for (const pid of groupPids(child.pid)) hwm = Math.max(hwm, vmKb(pid, 'VmHWM'));
      if (hwm > BLOWUP_KB * 1.5) kill();
    }, 200);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    function kill() {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      let rssKb = hwm;
      let sig = signal;
      if (TIME && existsSync(timeFile)) {
        const t = readFileSync(timeFile, 'utf8');
        const m = /(\d+)\s*$/.exec(t.trim());
        if (m) rssKb = Math.max(rssKb, Number(m[1]));
        const s = /terminated by signal (\d+)/.exec(t);
        if (s) sig = `signal ${s[1]}`;
        rmSync(timeFile, { force: true });
        // time exits 128+N when the command died of signal N
      }
      resolve({ code, signal: sig, stdout, stderr, ms: Date.now() - t0, rssKb, timedOut });
    });
  });
}

function groupPids(pgid) {
  try {
    const out = execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter(Boolean);
  } catch {
    return [pgid];
  }
}

function vmKb(pid, key) {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function cmdLine(argv, env = {}) {
  const e = Object.entries(env)
    .map(([k, v]) => `${k}=${q(v)} `)
    .join('');
  return `${e}node bin/schedbench.js ${argv.map(q).join(' ')}`;
}

/**
 * Classifies one CLI result. `codes`: the promised exit codes; `mention`: strings of which the
 * stderr must contain one (the file or field named), for exit 2; `check`: after-the-fact store
 * check returning a problem string or undefined.
 */
async function classify(area, name, argv, r, { codes, mention = [], check, env, note } = {}) {
  const cmd = cmdLine(argv, env);
  const extra = { cmd, code: r.code, stderr: r.stderr, note };
  const out = r.stdout + r.stderr;
  if (r.timedOut)
    return record(area, name, 'hang', `no exit after ${Math.round(r.ms / 1000)} s (killed)`, extra);
  if (r.rssKb > BLOWUP_KB)
    return record(area, name, 'hang', `peak RSS ${(r.rssKb / 1024).toFixed(0)} MiB (> 2 GiB)`, extra);
  if (r.signal) return record(area, name, 'crash', `killed by ${r.signal}`, extra);
  if (VERBOSE)
    process.stderr.write(
      `    exit ${r.code} in ${r.ms} ms, ${(r.rssKb / 1024).toFixed(0)} MiB: ${(
        r.stderr
          .trim()
          .split('\n')
          .find((l) => l.startsWith('schedbench')) ??
        r.stderr.trim().split('\n')[0] ??
        ''
      ).slice(0, 300)}\n`,
    );
  if (STACK.test(out) || INTERNAL.test(out))
    return record(area, name, 'crash', `stack trace / internal error, exit ${r.code}`, extra);
  const problem = check ? await safeCheck(check, r) : undefined;
  if (problem) return record(area, name, 'lost', problem, extra);
  if (!codes.includes(r.code))
    return record(area, name, 'other', `exit ${r.code}, promised ${codes.join(' or ')} (no stack)`, extra);
  if (r.code === 2 && mention.length && !mention.some((m) => r.stderr.includes(m))) {
    return record(area, name, 'other', `exit 2 but the message names none of: ${mention.join(', ')}`, extra);
  }
  if (r.code === 2 && r.stderr.trim() === '')
    return record(area, name, 'other', 'exit 2 without a message', extra);
  return record(area, name, 'clean', `exit ${r.code}`, extra);
}

async function safeCheck(check, r) {
  try {
    return await check(r);
  } catch (e) {
    return `store check failed: ${e.message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Store checks

function openRo(db) {
  return new Database(db, { readonly: true, fileMustExist: true });
}

function one(conn, sql) {
  return conn.prepare(sql).get().n;
}

/** Problem string when the database holds any sweep (bad input must store nothing). */
function nothingStored(db) {
  if (!existsSync(db)) return undefined;
  let conn;
  try {
    conn = openRo(db);
  } catch (e) {
    return `cannot open ${db} to check: ${e.message}`;
  }
  try {
    const hasTable = conn.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'sweeps'").get().n;
    if (!hasTable) return undefined;
    const sweeps = one(conn, 'SELECT count(*) AS n FROM sweeps');
    const runs = one(conn, 'SELECT count(*) AS n FROM runs');
    return sweeps || runs ? `bad input stored ${sweeps} sweep(s), ${runs} run(s)` : undefined;
  } finally {
    conn.close();
  }
}

/** Problem string unless every run is done exactly once with its metrics and `requests` rows. */
function allDoneOnce(db, runs, requests) {
  const conn = openRo(db);
  try {
    const got = {
      done: one(conn, "SELECT count(*) AS n FROM runs WHERE status = 'done'"),
      runs: one(conn, 'SELECT count(*) AS n FROM runs'),
      keys: one(conn, 'SELECT count(DISTINCT run_key) AS n FROM runs'),
      metrics: one(conn, 'SELECT count(*) AS n FROM run_metrics'),
      requests: one(
        conn,
        "SELECT coalesce(sum(length), 0) AS n FROM run_columns WHERE struct = 'requests' AND column_name = 'arrival_s'",
      ),
      sweeps: one(conn, 'SELECT count(*) AS n FROM sweeps'),
    };
    const bad = [];
    if (got.sweeps !== 1) bad.push(`${got.sweeps} sweeps`);
    if (got.done !== runs) bad.push(`${got.done}/${runs} done`);
    if (got.runs !== runs) bad.push(`${got.runs} run rows`);
    if (got.keys !== runs) bad.push(`${got.keys} distinct keys`);
    if (got.metrics !== runs) bad.push(`${got.metrics} metrics rows`);
    if (got.requests !== runs * requests) bad.push(`${got.requests} request rows (want ${runs * requests})`);
    return bad.length ? `not every run done exactly once: ${bad.join(', ')}` : undefined;
  } finally {
    conn.close();
  }
}

function statusCounts(db) {
  const conn = openRo(db);
  try {
    const rows = conn.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status').all();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    conn.close();
  }
}

function sha(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Helpers

async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function mount(dir, opts) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { stdio: 'pipe' });
  mounts.push(dir);
}

function umountAll() {
  for (const m of mounts.splice(0).reverse()) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'pipe' });
    } catch {
      /* already */
    }
  }
}

const CONV = join(REPO, 'data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv');

// =============================================================================================
// 1. Bad spec / trace inputs

/**
 * Bad spec and trace inputs: malformed YAML, wrong types, bad numbers, unknown and missing fields,
 * empty grid axes, oversized grids and files, spec/trace/lengths paths that are not regular files,
 * malformed traces and lengths files, and bad command-line values. Each runs `sweep` on a fresh
 * database. Clean: exit 2 with a message naming the spec file or the field, nothing stored and
 * nothing on stdout; the valid controls exit 0 with every run done exactly once.
 */
async function areaInput() {
  const dir = join(ROOT, 'input');
  mkdirSync(dir);
  /** @type {{name: string, text?: string, specPath?: string, codes?: number[], mention?: string[], valid?: {runs: number, requests: number}}[]} */
  const cases = [];

  const BASE = {
    name: 'bad',
    machine: 'a100-llama2-7b',
    requests: 20,
    seeds: [1],
    workloads: [
      {
        name: 'w',
        promptTokens: { dist: 'fixed', value: 100 },
        outputTokens: { dist: 'fixed', value: 10 },
        arrival: { process: 'poisson', rate: 1 },
      },
    ],
    policies: [{ policy: 'vllm' }],
  };
  const clone = (o) => JSON.parse(JSON.stringify(o));
  const RAW = '__RAW__';
  /** The base spec with `path` (array of keys) set to the raw YAML text `raw` (or deleted when raw is undefined). */
  function withRaw(path, raw, base = BASE) {
    const o = clone(base);
    let t = o;
    for (const k of path.slice(0, -1)) {
      if (t[k] === undefined) t[k] = {};
      t = t[k];
    }
    const last = path.at(-1);
    if (raw === undefined) delete t[last];
    else t[last] = RAW;
    return YAML.stringify(o, { flowCollectionPadding: false }).replace(RAW, raw ?? '');
  }
  const add = (name, text, opts = {}) => cases.push({ name, text, ...opts });

  // -- control
  add('control: a valid spec', YAML.stringify(BASE), { codes: [0], valid: { runs: 1, requests: 20 } });

  // -- YAML syntax
  const good = YAML.stringify(BASE);
  add('yaml: unclosed flow sequence', good.replace('seeds:\n  - 1', 'seeds: [1, 2'));
  add('yaml: bad indentation', good.replace('machine:', '   machine:'));
  add('yaml: tab indentation', good.replace('\n  - name: w', '\n\t- name: w'));
  add('yaml: duplicate key', `${good}name: again\n`);
  add('yaml: unterminated string', good.replace('name: bad', 'name: "bad'));
  add('yaml: stray colon', good.replace('requests: 20', 'requests: : 20'));
  add('yaml: empty file', '');
  add('yaml: only a comment', '# nothing here\n');
  add('yaml: a scalar document', 'hello\n');
  add('yaml: a list document', '- 1\n- 2\n');
  add('yaml: two documents', `${good}---\n${good}`);
  add('yaml: binary garbage', randomBytes(4096).toString('latin1'));
  add('yaml: invalid UTF-8', Buffer.concat([Buffer.from(good), Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0x0a])]));
  add('yaml: NUL bytes', `${good}\u0000\u0000\n`);
  add('yaml: custom tag', good.replace('requests: 20', 'requests: !!js/function "x"'));
  add('yaml: merge key to nothing', good.replace('requests: 20', 'requests: 20\n<<: *nothing'));

  // -- wrong types of main fields
  for (const [field, vals] of [
    ['name', ['42x', '[]', '{}', 'null', '""', `"${'n'.repeat(100000)}"`]],
    ['machine', ['nope-machine', '42', '[]', 'null']],
    ['requests', ['"text"', '[]', '{}', 'null', 'true']],
    ['seeds', ['"x"', '{}', '[]', 'null', '[-1]', '[2.5]', '[4294967296]', '[1e309]']],
    ['workloads', ['"x"', '[]', '{}', 'null', '42']],
    ['policies', ['"x"', '[]', '{}', 'null', '42']],
    ['slo', ['"x"', '{ttft_s: -1}', '{ttft_s: 0}', '{bogus: 1}', '{ttft_s: .nan}', '{ttft_s: .inf}', '42']],
    ['limits', ['"x"', '{runs: 0}', '{runs: -1}', '{runs: 1e309}', '{requests: "x"}', '{runs: 100000000}']],
    ['tokenModel', ['"x"', '42', '[]']],
    ['horizon', ['-1', '0', '.inf', '1e10', '"x"']],
    ['oversize', ['"maybe"', '1']],
  ]) {
    for (const v of vals) {
      if (field === 'name' && v === '42x') continue;
      add(
        `type: ${field}: ${v.length > 30 ? `${v.slice(0, 12)}...(${v.length} chars)` : v}`,
        withRaw([field], v),
        {
          mention: [field],
          // a long name is not promised to be refused
          codes: v.length > 30 ? [0, 2] : undefined,
        },
      );
    }
  }
  // -- bad numbers
  const BADNUM = [
    '0',
    '-1',
    '2.5',
    '.nan',
    '.inf',
    '-.inf',
    '1e309',
    '1e-308',
    '"NaN"',
    '"Infinity"',
    '99999999999999999999',
  ];
  for (const v of BADNUM) add(`number: requests: ${v}`, withRaw(['requests'], v), { mention: ['requests'] });
  add('number: requests: 1e9', withRaw(['requests'], '1e9'), { mention: ['requests'] });
  for (const v of ['0', '-1', '.nan', '.inf', '1e309', '1e-308', '"fast"', '[1, -2]'])
    add(`number: arrival.rate: ${v}`, withRaw(['workloads', 0, 'arrival', 'rate'], v), { mention: ['rate'] });
  // An entry with an empty list axis has no grid point: refused with exit 2.
  add('number: arrival.rate: [] (empty axis)', withRaw(['workloads', 0, 'arrival', 'rate'], '[]'), {
    mention: ['rate'],
  });
  for (const v of ['0', '-1', '2.5', '3e9', '.nan', '"x"'])
    add(`number: promptTokens.value: ${v}`, withRaw(['workloads', 0, 'promptTokens', 'value'], v), {
      mention: ['promptTokens'],
    });
  for (const v of ['0', '-1', '1e309'])
    add(`number: outputTokens.value: ${v}`, withRaw(['workloads', 0, 'outputTokens', 'value'], v), {
      mention: ['outputTokens'],
    });
  for (const v of ['0', '-1', '2.5', '3e9', '.nan', '.inf', '"x"'])
    add(`number: vllm maxNumSeqs: ${v}`, withRaw(['policies', 0, 'maxNumSeqs'], v), {
      mention: ['maxNumSeqs'],
    });
  for (const v of ['0', '-5', '1e-308'])
    add(`number: vllm maxNumBatchedTokens: ${v}`, withRaw(['policies', 0, 'maxNumBatchedTokens'], v), {
      mention: ['maxNumBatchedTokens'],
    });
  const sarathi = { ...clone(BASE), policies: [{ policy: 'sarathi', chunkSize: 512 }] };
  for (const v of ['0', '-1', '1.5', '1e309', '"big"'])
    add(`number: sarathi chunkSize: ${v}`, withRaw(['policies', 0, 'chunkSize'], v, sarathi), {
      mention: ['chunkSize'],
    });
  add(
    'number: uniform min > max',
    withRaw(['workloads', 0, 'promptTokens'], '{dist: uniform, min: 500, max: 10}'),
    {
      mention: ['promptTokens'],
    },
  );
  add(
    'number: lognormal sigma 1e6',
    withRaw(['workloads', 0, 'promptTokens'], '{dist: lognormal, mu: 5, sigma: 1000000, max: 4000}'),
    {
      mention: ['promptTokens', 'sigma'],
    },
  );
  add('number: gamma cv 1000', withRaw(['workloads', 0, 'arrival'], '{process: gamma, rate: 1, cv: 1000}'), {
    mention: ['cv'],
  });
  add('number: maxTokens -1', withRaw(['workloads', 0, 'maxTokens'], '-1'), { mention: ['maxTokens'] });

  // -- unknown fields, missing fields, unknown names
  add('unknown: top-level field', `${good}sedes: [1]\n`, { mention: ['sedes'] });
  add('unknown: workload field', withRaw(['workloads', 0, 'rat'], '2'), { mention: ['rat'] });
  add('unknown: policy field', withRaw(['policies', 0, 'maxNumSeq'], '64'), { mention: ['maxNumSeq'] });
  add('unknown: arrival field', withRaw(['workloads', 0, 'arrival', 'rte'], '2'), { mention: ['rte'] });
  for (const f of ['name', 'machine', 'workloads', 'policies'])
    add(`missing: ${f}`, withRaw([f], undefined), { mention: [f] });
  add('missing: workload name', withRaw(['workloads', 0, 'name'], undefined), { mention: ['name'] });
  add('missing: arrival rate', withRaw(['workloads', 0, 'arrival', 'rate'], undefined), {
    mention: ['rate', 'arrival'],
  });
  add('missing: policy name', withRaw(['policies', 0, 'policy'], undefined), { mention: ['policy'] });
  add('unknown: policy "magic"', withRaw(['policies', 0, 'policy'], 'magic'), { mention: ['magic'] });
  add('unknown: policy 42', withRaw(['policies', 0, 'policy'], '42'), { mention: ['policy'] });
  add('unknown: arrival process', withRaw(['workloads', 0, 'arrival', 'process'], 'magic'), {
    mention: ['process'],
  });
  add('unknown: token dist', withRaw(['workloads', 0, 'promptTokens', 'dist'], 'magic'), {
    mention: ['dist'],
  });
  add(
    'duplicate workload names',
    withRaw(
      ['workloads', 1],
      `{name: w, promptTokens: {dist: fixed, value: 5}, outputTokens: {dist: fixed, value: 5}, arrival: {process: poisson, rate: 1}}`,
    ),
    {
      mention: ['workloads', 'w'],
      codes: [0, 2],
    },
  );
  // paper's policies
  const typed = {
    ...clone(BASE),
    workloads: [
      {
        name: 'typed',
        types: [
          { prompt: 20, output: 100, rate: 6 },
          { prompt: 20, output: 200, rate: 4 },
        ],
      },
    ],
  };
  add(
    'policy: wait thresholds count',
    withRaw(['policies', 0], '{policy: wait, thresholds: [3, 4, 5]}', typed),
    { mention: ['thresholds'] },
  );
  add(
    'policy: nested-wait segments',
    withRaw(['policies', 0], '{policy: nested-wait, segments: {boundaries: [50, 100]}}', typed),
    {
      mention: ['segments'],
    },
  );
  add(
    'policy: mc-sf epsilon -0.2',
    withRaw(['policies', 0], '{policy: mc-sf, predictor: noisy, epsilon: -0.2}', typed),
    {
      mention: ['epsilon'],
    },
  );
  add('typed: rate .nan', withRaw(['workloads', 0, 'types', 0, 'rate'], '.nan', typed), {
    mention: ['rate'],
  });
  add('typed: prompt 3e9', withRaw(['workloads', 0, 'types', 0, 'prompt'], '3e9', typed), {
    mention: ['prompt'],
  });

  // -- size limits
  const TEN = `[${Array.from({ length: 10 }, (_, i) => i + 1).join(', ')}]`;
  const HUN = `[${Array.from({ length: 10 }, (_, i) => 100 + i).join(', ')}]`;
  add(
    'size: a 10^9-run grid',
    [
      'name: huge',
      'machine: a100-llama2-7b',
      'requests: 20',
      `seeds: ${TEN}`,
      'workloads:',
      '  - name: synth',
      `    promptTokens: { dist: uniform, min: ${TEN}, max: ${HUN} }`,
      `    outputTokens: { dist: uniform, min: ${TEN}, max: ${HUN} }`,
      `    arrival: { process: poisson, rate: ${TEN} }`,
      `    maxTokens: [${Array.from({ length: 10 }, (_, i) => 1000 + i).join(', ')}]`,
      'policies:',
      `  - { policy: vllm, maxNumSeqs: ${TEN}, maxNumBatchedTokens: [${Array.from({ length: 10 }, (_, i) => 4096 + i).join(', ')}] }`,
      '',
    ].join('\n'),
    { mention: ['runs'] },
  );
  add(
    'size: empty axis hiding a huge grid',
    withRaw(['policies', 0, 'maxNumSeqs'], '[]', {
      ...clone(BASE),
      seeds: Array.from({ length: 100000 }, (_, i) => i),
    }),
    {
      mention: ['maxNumSeqs', 'seeds', 'runs'],
    },
  );
  add(
    'size: YAML alias bomb',
    [
      'name: &n bomb',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdef'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcde'[i]}`).join(', ')}]`),
      'g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]',
      '',
    ].join('\n'),
    { mention: ['alias'] },
  );
  add(
    'size: deeply nested YAML (20000 levels)',
    `name: deep\nmachine: a100-llama2-7b\nx: ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
  );
  add(
    'size: deeply nested block YAML (1000 levels)',
    `name: deep\nx:\n${Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`,
  );
  {
    const big = `${good}description: "${'x'.repeat(2 * 1024 * 1024)}"\n`;
    add('size: a 2 MiB spec', big, { mention: ['MiB', 'limit'] });
  }
  add('size: requests list with 1e9', withRaw(['requests'], '[20, 1e9]'), { mention: ['requests'] });

  // -- spec path that is not a regular file
  const fifo = join(dir, 'spec-fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const specDir = join(dir, 'spec-dir.yaml');
  mkdirSync(specDir);
  for (const [name, p] of [
    ['spec path: FIFO', fifo],
    ['spec path: directory', specDir],
    ['spec path: /dev/zero', '/dev/zero'],
    ['spec path: /proc/self/environ', '/proc/self/environ'],
    ['spec path: missing', join(dir, 'missing.yaml')],
    [
      'spec path: symlink to /dev/zero',
      (() => {
        const l = join(dir, 'zero-link.yaml');
        symlinkSync('/dev/zero', l);
        return l;
      })(),
    ],
  ])
    cases.push({ name, specPath: p, mention: [p] });

  // -- traces
  const tracePath = (name, content) => {
    const f = join(dir, name);
    writeFileSync(f, content);
    return f;
  };
  const traceSpec = (trace, extra = '') =>
    [
      'name: tr',
      'machine: a100-llama2-7b',
      'requests: 3',
      'workloads:',
      '  - name: t',
      `    trace: ${trace}`,
      extra,
      'policies: [{ policy: vllm }]',
      '',
    ]
      .filter((l) => l !== '')
      .join('\n');
  const azure = (p) => traceSpec(`{ path: ${JSON.stringify(p)}, format: azure }`);
  const csv = (p) =>
    traceSpec(
      `{ path: ${JSON.stringify(p)}, format: csv, columns: {arrival: t, prompt: p, output: o}, timestampFormat: seconds }`,
    );
  const jsonl = (p) =>
    traceSpec(
      `{ path: ${JSON.stringify(p)}, format: jsonl, columns: {arrival: t, prompt: p, output: o}, timeUnit: s }`,
    );
  const mooncake = (p) => traceSpec(`{ path: ${JSON.stringify(p)}, format: mooncake }`);
  const H = 'TIMESTAMP,ContextTokens,GeneratedTokens\n';
  const row = (i, a = 374, b = 44) =>
    `2023-11-16 18:15:${String(10 + i).padStart(2, '0')}.6805900,${a},${b}\n`;
  const rows3 = row(0) + row(1) + row(2);
  const trFifo = join(dir, 'trace-fifo.csv');
  execFileSync('mkfifo', [trFifo]);
  const trDir = join(dir, 'trace-dir.csv');
  mkdirSync(trDir);
  const sparse = join(dir, 'sparse-300m.csv');
  writeFileSync(sparse, H);
  truncateSync(sparse, 300 * 1024 * 1024);
  const sparseRows = join(dir, 'sparse-300m-newlines.csv');
  {
    // 300 MiB: header, a few rows, then a hole of NUL bytes (no newline)
    writeFileSync(sparseRows, H + rows3);
    truncateSync(sparseRows, 300 * 1024 * 1024);
  }
  const traceCases = [
    ['trace azure: missing file', azure(join(dir, 'no-such.csv')), 'no-such.csv'],
    ['trace azure: FIFO', azure(trFifo), trFifo],
    ['trace azure: /dev/zero', azure('/dev/zero'), '/dev/zero'],
    ['trace azure: directory', azure(trDir), trDir],
    ['trace azure: /proc/self/environ', azure('/proc/self/environ'), '/proc/self/environ'],
    ['trace azure: empty', azure(tracePath('empty.csv', '')), 'empty.csv'],
    ['trace azure: header only', azure(tracePath('header.csv', H)), 'header.csv'],
    [
      'trace azure: unsorted timestamps',
      azure(tracePath('unsorted.csv', H + row(5) + row(1) + row(2))),
      'unsorted.csv',
    ],
    [
      'trace azure: negative tokens',
      azure(tracePath('neg.csv', H + row(0) + row(1, -5) + row(2))),
      'neg.csv',
    ],
    [
      'trace azure: non-integer tokens',
      azure(tracePath('frac.csv', H + row(0) + row(1, 2.5) + row(2))),
      'frac.csv',
    ],
    [
      'trace azure: text in number column',
      azure(tracePath('text.csv', H + row(0) + row(1, 'abc') + row(2))),
      'text.csv',
    ],
    [
      'trace azure: NaN token count',
      azure(tracePath('nan.csv', H + row(0) + row(1, 'NaN') + row(2))),
      'nan.csv',
    ],
    [
      'trace azure: 3e9 token count',
      azure(tracePath('huge-tok.csv', H + row(0) + row(1, 3000000000) + row(2))),
      'huge-tok.csv',
    ],
    [
      'trace azure: 1e309 token count',
      azure(tracePath('inf-tok.csv', H + row(0) + row(1, '1e309') + row(2))),
      'inf-tok.csv',
    ],
    ['trace azure: wrong columns', azure(tracePath('cols.csv', 'a,b,c\n1,2,3\n4,5,6\n')), 'cols.csv'],
    [
      'trace azure: row with too few fields',
      azure(tracePath('few.csv', H + row(0) + '2023-11-16 18:15:50.9951690,109\n' + row(2))),
      'few.csv',
    ],
    [
      'trace azure: row with too many fields',
      azure(tracePath('many.csv', H + row(0) + '2023-11-16 18:15:50.9951690,109,5,7,8\n' + row(2))),
      'many.csv',
    ],
    [
      'trace azure: bad timestamp',
      azure(tracePath('badts.csv', H + row(0) + 'yesterday,10,10\n' + row(2))),
      'badts.csv',
    ],
    ['trace azure: binary garbage', azure(tracePath('garbage.csv', randomBytes(64 * 1024))), 'garbage.csv'],
    [
      'trace azure: unterminated quote',
      azure(tracePath('quote.csv', H + row(0) + '"2023-11-16 18:15:50.9951690,10,10\n' + row(2))),
      'quote.csv',
    ],
    ['trace azure: 300 MiB sparse, no line end', azure(sparse), 'sparse-300m.csv'],
    ['trace azure: 300 MiB sparse after 3 rows', azure(sparseRows), 'sparse-300m-newlines.csv'],
    ['trace csv: missing column', csv(tracePath('g-miss.csv', 't,p\n0,1\n1,2\n')), 'g-miss.csv'],
    [
      'trace csv: negative arrival (rebased, may be valid)',
      csv(tracePath('g-negt.csv', 't,p,o\n-5,1,1\n1,2,2\n2,3,3\n')),
      'g-negt.csv',
      [0, 2],
    ],
    [
      'trace csv: Infinity arrival',
      csv(tracePath('g-inft.csv', 't,p,o\n0,1,1\nInfinity,2,2\n')),
      'g-inft.csv',
    ],
    [
      'trace csv: zero output tokens',
      csv(tracePath('g-zero.csv', 't,p,o\n0,10,0\n1,10,0\n2,10,0\n')),
      'g-zero.csv',
      [0, 2],
    ],
    [
      'trace jsonl: invalid JSON',
      jsonl(tracePath('bad.jsonl', '{"t": 0, "p": 1, "o": 1}\n{"t": 1, "p": \n{"t": 2, "p": 1, "o": 1}\n')),
      'bad.jsonl',
    ],
    [
      'trace jsonl: lines are arrays',
      jsonl(tracePath('arr.jsonl', '[0, 1, 1]\n[1, 2, 2]\n[2, 3, 3]\n')),
      'arr.jsonl',
    ],
    [
      'trace jsonl: a JSON array document',
      jsonl(tracePath('doc.jsonl', '[{"t": 0, "p": 1, "o": 1}, {"t": 1, "p": 1, "o": 1}]\n')),
      'doc.jsonl',
    ],
    [
      'trace jsonl: string tokens',
      jsonl(
        tracePath(
          'str.jsonl',
          '{"t": 0, "p": "ten", "o": 1}\n{"t": 1, "p": 1, "o": 1}\n{"t": 2, "p": 1, "o": 1}\n',
        ),
      ),
      'str.jsonl',
    ],
    [
      'trace jsonl: missing field',
      jsonl(tracePath('miss.jsonl', '{"t": 0, "p": 1}\n{"t": 1, "p": 1, "o": 1}\n')),
      'miss.jsonl',
    ],
    [
      'trace jsonl: null / nested values',
      jsonl(tracePath('null.jsonl', '{"t": null, "p": {"a":1}, "o": [1]}\n')),
      'null.jsonl',
    ],
    [
      'trace jsonl: deeply nested line',
      jsonl(
        tracePath(
          'deep.jsonl',
          `{"t": 0, "p": 1, "o": 1, "x": ${'['.repeat(100000)}${']'.repeat(100000)}}\n`,
        ),
      ),
      'deep.jsonl',
      [0, 2],
    ],
    ['trace jsonl: empty', jsonl(tracePath('empty.jsonl', '')), 'empty.jsonl'],
    [
      'trace jsonl: binary garbage',
      jsonl(tracePath('garbage.jsonl', randomBytes(64 * 1024))),
      'garbage.jsonl',
    ],
    [
      'trace mooncake: negative length',
      mooncake(
        tracePath(
          'mc.jsonl',
          '{"timestamp": 0, "input_length": -5, "output_length": 10}\n{"timestamp": 1, "input_length": 5, "output_length": 10}\n',
        ),
      ),
      'mc.jsonl',
    ],
    [
      'trace mooncake: unsorted',
      mooncake(
        tracePath(
          'mcu.jsonl',
          '{"timestamp": 50, "input_length": 5, "output_length": 10}\n{"timestamp": 1, "input_length": 5, "output_length": 10}\n',
        ),
      ),
      'mcu.jsonl',
    ],
    ['trace: format unknown', traceSpec(`{ path: ${JSON.stringify(CONV)}, format: parquet }`), 'format'],
    ['trace: path empty string', traceSpec(`{ path: "", format: azure }`), 'path'],
    ['trace: path is a number', traceSpec(`{ path: 42, format: azure }`), 'path'],
  ];
  for (const [name, text, mention, codes] of traceCases) add(name, text, { mention: [mention], codes });

  // valid edge forms (exit 0)
  const bom = '\uFEFF';
  add(
    'trace azure: CRLF + BOM (valid)',
    azure(tracePath('crlf.csv', bom + (H + rows3).replace(/\n/g, '\r\n'))),
    { codes: [0], valid: { runs: 1, requests: 3 } },
  );
  add(
    'trace azure: quoted CSV fields (valid)',
    azure(
      tracePath(
        'quoted.csv',
        `"TIMESTAMP","ContextTokens","GeneratedTokens"\n"2023-11-16 18:15:10.6805900","374","44"\n"2023-11-16 18:15:11.6805900",375,"45"\n2023-11-16 18:15:12.6805900,"376",46\n`,
      ),
    ),
    {
      codes: [0],
      valid: { runs: 1, requests: 3 },
    },
  );
  add('trace azure: no final newline (valid)', azure(tracePath('nofinal.csv', H + rows3.trimEnd())), {
    codes: [0],
    valid: { runs: 1, requests: 3 },
  });
  add(
    'trace jsonl: CRLF + BOM (valid)',
    jsonl(
      tracePath(
        'crlf.jsonl',
        `${bom}{"t": 0, "p": 1, "o": 1}\r\n{"t": 1, "p": 2, "o": 2}\r\n{"t": 2, "p": 3, "o": 3}\r\n`,
      ),
    ),
    {
      codes: [0],
      valid: { runs: 1, requests: 3 },
    },
  );
  add(
    'trace csv: CRLF + BOM (valid)',
    csv(tracePath('crlf-g.csv', `${bom}t,p,o\r\n0,1,1\r\n1,2,2\r\n2,3,3\r\n`)),
    { codes: [0], valid: { runs: 1, requests: 3 } },
  );

  // -- lengths files
  const lengthsSpec = (p) =>
    [
      'name: le',
      'machine: a100-llama2-7b',
      'requests: 3',
      'workloads:',
      '  - name: l',
      `    lengths: { path: ${JSON.stringify(p)} }`,
      '    arrival: { process: poisson, rate: 1 }',
      'policies: [{ policy: vllm }]',
      '',
    ].join('\n');
  const LH = 'num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n';
  const lfifo = join(dir, 'len-fifo.csv');
  execFileSync('mkfifo', [lfifo]);
  const ldir = join(dir, 'len-dir.csv');
  mkdirSync(ldir);
  const lsparse = join(dir, 'len-sparse.csv');
  writeFileSync(lsparse, LH);
  truncateSync(lsparse, 300 * 1024 * 1024);
  for (const [name, p, codes] of [
    ['lengths: missing', join(dir, 'no-len.csv')],
    ['lengths: FIFO', lfifo],
    ['lengths: /dev/zero', '/dev/zero'],
    ['lengths: directory', ldir],
    ['lengths: empty', tracePath('len-empty.csv', '')],
    ['lengths: header only', tracePath('len-header.csv', LH)],
    ['lengths: negative tokens', tracePath('len-neg.csv', `${LH}10,-5,5,1\n10,10,20,1\n`)],
    ['lengths: text tokens', tracePath('len-text.csv', `${LH}ten,5,15,1\n10,10,20,1\n`)],
    ['lengths: non-integer tokens', tracePath('len-frac.csv', `${LH}10.5,5,15,1\n10,10,20,1\n`)],
    ['lengths: wrong columns', tracePath('len-cols.csv', 'a,b\n1,2\n')],
    ['lengths: too few fields', tracePath('len-few.csv', `${LH}10\n10,10,20,1\n`)],
    ['lengths: binary garbage', tracePath('len-garbage.csv', randomBytes(64 * 1024))],
    ['lengths: 300 MiB sparse', lsparse],
  ])
    add(name, lengthsSpec(p), { mention: [basename(p)], codes });
  add(
    'lengths: CRLF + BOM (valid)',
    lengthsSpec(
      tracePath(
        'len-crlf.csv',
        `${bom}${LH}10,5,15,1\r\n20,10,30,1\r\n30,15,45,1\r\n`.replace(/\n/g, '\r\n').replace(/\r\r/g, '\r'),
      ),
    ),
    {
      codes: [0],
      valid: { runs: 1, requests: 3 },
    },
  );

  // -- bad command-line values
  const okSpec = join(dir, 'cmdline-ok.yaml');
  writeFileSync(okSpec, good);
  const argCases = [
    ['cli: --jobs zero', ['sweep', okSpec, '--jobs', 'zero'], ['--jobs']],
    ['cli: --jobs -1', ['sweep', okSpec, '--jobs', '-1'], ['--jobs']],
    ['cli: --jobs 1e9', ['sweep', okSpec, '--jobs', '1e9'], ['--jobs'], [0, 2]],
    ['cli: unknown command', ['frobnicate'], ['frobnicate']],
    ['cli: runs --format xml', ['runs', '--format', 'xml'], ['--format']],
    ['cli: runs --rate abc', ['runs', '--rate', 'abc'], ['--rate', 'rate']],
    ['cli: summary of sweep 999', ['summary', '999'], ['999'], [2]],
    ['cli: compare no-such runs', ['compare', '1', '2'], ['run'], [2]],
  ];

  let n = 0;
  await pool(cases, 2, async (c) => {
    const i = n++;
    const spec = c.specPath ?? join(dir, `case-${i}.yaml`);
    if (!c.specPath) writeFileSync(spec, c.text);
    const db = join(dir, `case-${i}.db`);
    const argv = ['sweep', spec, '--db', db, '--jobs', '1'];
    const r = await cli(argv, { timeoutMs: 60_000 });
    const codes = c.codes ?? [2];
    await classify(AREAS.input, c.name, argv, r, {
      note: c.note && r.code === 0 ? c.note : undefined,
      codes,
      mention: [basename(spec), ...(c.mention ?? [])],
      check: (res) => {
        if (res.code === 2) {
          const p = nothingStored(db);
          if (p) return p;
          if (res.stdout.trim() !== '') return `exit 2 but stdout not empty: ${res.stdout.slice(0, 100)}`;
        }
        if (res.code === 0 && c.valid) return allDoneOnce(db, c.valid.runs, c.valid.requests);
        if (res.code === 0 && codes.includes(0)) {
          const s = statusCounts(db);
          if (s.running || s.failed || s.queued) return `runs left ${JSON.stringify(s)}`;
        }
        return undefined;
      },
    });
  });
  await pool(argCases, 2, async ([name, argv0, mention, codes]) => {
    const db = join(dir, `arg-${name.replace(/\W+/g, '-')}.db`);
    if (argv0[0] !== 'frobnicate') {
      // compare/summary need a database that exists
      if (argv0[0] === 'summary' || argv0[0] === 'compare' || argv0[0] === 'runs')
        await cli(['sweep', okSpec, '--db', db, '--jobs', '1']);
    }
    const argv = argv0[0] === 'frobnicate' ? argv0 : [...argv0, '--db', db];
    const r = await cli(argv);
    await classify(AREAS.input, name, argv, r, {
      codes: codes ?? [2],
      mention,
      check: (res) => (res.code === 2 && argv0[0] === 'sweep' ? nothingStored(db) : undefined),
    });
  });
}

// =============================================================================================
// 2. Disk full

const STORE_SPEC = (requests, seeds) =>
  [
    'name: store-faults',
    'machine: a100-llama2-7b',
    `requests: ${requests}`,
    `seeds: [${Array.from({ length: seeds }, (_, i) => i + 1).join(', ')}]`,
    'workloads:',
    '  - { name: typed, types: [{ prompt: 200, output: 100, rate: 6 }] }',
    'policies: [{ policy: vllm }, { policy: fcfs }]',
    '',
  ].join('\n');

/**
 * Disk full: a 48-run sweep on an 8 MiB tmpfs (with --jobs 1 and 4), then the same command after a
 * remount to 256 MiB. Clean: the first run exits 1 with one `schedbench:` line naming the database
 * and the cause, no run stored as failed; the second exits 0 with every run done exactly once.
 */
async function areaDisk() {
  const A = AREAS.disk;
  if (!IS_ROOT) {
    record(A, 'disk full', 'other', 'skipped: not root (mount needs it)');
    return;
  }
  const RUNS = 48;
  const REQUESTS = 3000; // ~270 kB per run: 8 MiB fills after ~30
  for (const jobs of [1, 4]) {
    const name = `8 MiB tmpfs, --jobs ${jobs}`;
    const dir = join(ROOT, `disk-${jobs}`);
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt, { recursive: true });
    const spec = join(dir, 'spec.yaml');
    writeFileSync(spec, STORE_SPEC(REQUESTS, RUNS / 2));
    try {
      mount(mnt, 'size=8m');
    } catch (e) {
      record(A, name, 'other', `skipped: mount failed: ${e.message.split('\n')[0]}`);
      continue;
    }
    const db = join(mnt, 'full.db');
    const argv = ['sweep', spec, '--db', db, '--jobs', String(jobs)];
    const full = await cli(argv, { timeoutMs: 180_000 });
    let note = '';
    await classify(A, `${name}: first run (disk fills)`, argv, full, {
      codes: [1],
      check: (r) => {
        const lines = r.stderr.split('\n').filter((l) => l.startsWith('schedbench:'));
        if (r.code !== 1) return undefined;
        if (lines.length !== 1)
          return `${lines.length} "schedbench:" lines, want 1: ${lines.join(' | ').slice(0, 300)}`;
        if (!lines[0].includes(db) || !/disk full|SQLITE_FULL/.test(lines[0]))
          return `message does not name the database and the cause: ${lines[0]}`;
        const s = statusCounts(db);
        if (s.failed)
          return `${s.failed} run(s) stored as failed after the disk filled: ${JSON.stringify(s)}`;
        if ((s.done ?? 0) + (s.queued ?? 0) + (s.running ?? 0) !== RUNS)
          return `run count wrong: ${JSON.stringify(s)}`;
        if (s.running)
          note = `${s.running} run(s) left 'running' after exit 1 (documented: requeued by the next invocation) ${JSON.stringify(s)}`;
        return undefined;
      },
    });
    if (note) results.at(-1).note = note;
    execFileSync('mount', ['-o', 'remount,size=256m', mnt]);
    const again = await cli(argv, { timeoutMs: 300_000 });
    await classify(A, `${name}: same command after remount to 256 MiB`, argv, again, {
      codes: [0],
      check: (r) => (r.code === 0 ? allDoneOnce(db, RUNS, REQUESTS) : undefined),
    });
    execFileSync('umount', [mnt]);
    mounts.splice(mounts.indexOf(mnt), 1);
    // One case per --jobs: the fill and the resume together (the worse of the two verdicts).
    const [fill, resume] = results.splice(-2);
    const worse = fill.verdict !== 'clean' ? fill : resume;
    results.push({
      ...worse,
      name: `${name}: fills (exit ${fill.code}), then the same command after a remount to 256 MiB (exit ${resume.code})`,
      note: fill.note,
    });
  }
}

// =============================================================================================
// 3. Database faults

const TINY = (name) =>
  [
    'name: ' + name,
    'machine: a100-llama2-7b',
    'requests: 20',
    'workloads:',
    '  - name: typed',
    '    types: [{ prompt: 20, output: 10, rate: 2 }]',
    'policies:',
    '  - { policy: fcfs }',
    '',
  ].join('\n');

/**
 * Database faults: `sweep`, `runs` and `summary` on a database on a read-only mount (plain and
 * WAL), a new database in a read-only folder, corrupt headers and pages, truncated, empty and
 * random files, a directory, impossible paths, a foreign SQLite database and a locked database.
 * Clean: the promised exit code per command (2 for refused, with a message naming the database),
 * no stack, and a read-only or unusable file left unchanged.
 */
async function areaDb() {
  const A = AREAS.db;
  const dir = join(ROOT, 'db');
  mkdirSync(dir);
  const spec1 = join(dir, 'tiny.yaml');
  writeFileSync(spec1, TINY('tiny'));
  const spec2 = join(dir, 'other.yaml');
  writeFileSync(spec2, TINY('other'));
  const real = join(dir, 'real.db');
  const made = await cli(['sweep', spec1, '--db', real, '--jobs', '1']);
  if (made.code !== 0) throw new Error(`cannot make the base database: ${made.stderr}`);
  const copy = (name) => {
    const f = join(dir, name);
    copyFileSync(real, f);
    return f;
  };
  const sweepArgs = (db) => ['sweep', spec2, '--db', db, '--jobs', '1'];
  const runsArgs = (db) => ['runs', '--db', db];
  const summaryArgs = (db) => ['summary', '--latest', '--db', db, '--format', 'markdown'];

  /** Runs the three commands on `db`; `expect` maps command -> promised codes; hash must not change when `frozen`. */
  async function three(
    label,
    db,
    expect,
    { frozen = false, mention = [db], only = ['sweep', 'runs', 'summary'] } = {},
  ) {
    for (const [cmd, argv] of [
      ['sweep', sweepArgs(db)],
      ['runs', runsArgs(db)],
      ['summary', summaryArgs(db)],
    ]) {
      if (!only.includes(cmd)) continue;
      const before = frozen && existsSync(db) && statSync(db).isFile() ? sha(db) : null;
      const r = await cli(argv);
      await classify(A, `${label}: ${cmd}`, argv, r, {
        codes: expect[cmd],
        mention,
        check: () => {
          if (before && sha(db) !== before) return `the file changed (${cmd})`;
          return undefined;
        },
      });
    }
  }

  // read-only mount, and a WAL database on a read-only mount
  if (IS_ROOT) {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    mount(ro, 'size=32m');
    const roDb = join(ro, 'plain.db');
    copyFileSync(real, roDb);
    // WAL: a connection with autocheckpoint off writes one transaction, files copied while open
    const walSrc = copy('wal-src.db');
    const c = new Database(walSrc);
    c.pragma('journal_mode = WAL');
    c.pragma('wal_autocheckpoint = 0');
    c.exec('CREATE TABLE survey_pad (x); DROP TABLE survey_pad;'); // commits left in the -wal
    const walDb = join(ro, 'wal.db');
    copyFileSync(walSrc, walDb);
    copyFileSync(`${walSrc}-wal`, `${walDb}-wal`);
    if (existsSync(`${walSrc}-shm`)) copyFileSync(`${walSrc}-shm`, `${walDb}-shm`);
    const walOnly = join(ro, 'wal-noshm.db');
    copyFileSync(walSrc, walOnly);
    copyFileSync(`${walSrc}-wal`, `${walOnly}-wal`);
    c.close();
    mkdirSync(join(ro, 'folder'));
    execFileSync('mount', ['-o', 'remount,ro', ro]);
    await three(
      'read-only mount (plain db)',
      roDb,
      { sweep: [2], runs: [0], summary: [0] },
      { frozen: true },
    );
    await three(
      'read-only mount (WAL db with -wal and -shm)',
      walDb,
      { sweep: [2], runs: [0], summary: [0] },
      { frozen: true },
    );
    {
      // the spec whose sweep the database already holds, done: nothing to write but the lease
      const argv = ['sweep', spec1, '--db', walDb, '--jobs', '1'];
      const r = await cli(argv);
      await classify(A, 'read-only mount (WAL db with -wal and -shm): sweep of its done spec', argv, r, {
        codes: [0, 1, 2],
        mention: [walDb],
        note:
          r.code === 1
            ? `exit 1 as a store fault mid-sweep ("${r.stderr.split('\n')[0].slice(0, 160)}"), where the plain database on the same mount is refused at open with exit 2`
            : undefined,
      });
    }
    // without -shm SQLite cannot read the -wal on read-only media: a clear exit 2 is accepted too
    await three(
      'read-only mount (WAL db, -wal without -shm)',
      walOnly,
      { sweep: [2], runs: [0, 2], summary: [0, 2] },
      { frozen: true },
    );
    const inRo = join(ro, 'folder', 'new.db');
    await three('new database in a read-only folder', inRo, { sweep: [2] }, { only: ['sweep'] });
    execFileSync('umount', [ro]);
    mounts.splice(mounts.indexOf(ro), 1);
  } else {
    record(A, 'read-only mount', 'other', 'skipped: not root');
  }

  {
    const f = copy('header.db');
    const fd = openSync(f, 'r+');
    writeSync(fd, randomBytes(100), 0, 100, 0);
    closeSync(fd);
    await three(
      'corrupt header (first 100 bytes)',
      f,
      { sweep: [2], runs: [2], summary: [2] },
      { frozen: true },
    );
  }
  {
    const f = copy('page.db');
    const size = statSync(f).size;
    const fd = openSync(f, 'r+');
    // overwrite every other page after the first with garbage (leaves the header intact)
    for (let off = 4096; off < size; off += 8192) writeSync(fd, randomBytes(4096), 0, 4096, off);
    closeSync(fd);
    await three('corrupt pages (middle of the file)', f, { sweep: [1, 2], runs: [2], summary: [2] });
  }
  {
    const f = copy('half.db');
    truncateSync(f, Math.floor(statSync(f).size / 2));
    await three('truncated to half', f, { sweep: [1, 2], runs: [2], summary: [2] });
  }
  {
    const f = join(dir, 'zero.db');
    writeFileSync(f, '');
    await three('zero bytes', f, { runs: [0, 2], summary: [0, 2], sweep: [0] });
  }
  {
    const f = join(dir, 'random.db');
    writeFileSync(f, randomBytes(32 * 1024));
    await three('random bytes', f, { sweep: [2], runs: [2], summary: [2] }, { frozen: true });
  }
  {
    const f = join(dir, 'a-folder.db');
    mkdirSync(f);
    await three('a directory as --db', f, { sweep: [2], runs: [2], summary: [2] });
  }
  await three('/proc/nope/x.db', '/proc/nope/x.db', { sweep: [2], runs: [2], summary: [2] });
  {
    const plain = join(dir, 'plain-file');
    writeFileSync(plain, 'x');
    await three('parent is a file', join(plain, 'x.db'), { sweep: [2], runs: [2], summary: [2] });
  }
  {
    const f = join(dir, 'foreign.db');
    const raw = new Database(f);
    raw.exec('CREATE TABLE a (x); CREATE TABLE b (y); INSERT INTO a VALUES (1);');
    raw.close();
    await three('a foreign SQLite database', f, { sweep: [2], runs: [2], summary: [2] }, { frozen: true });
  }
  {
    // locked: BEGIN EXCLUSIVE held by another process past the 5 s busy timeout
    const f = copy('locked.db');
    const script =
      "const D = require('better-sqlite3'); const db = new D(process.argv[1]);" +
      "db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);";
    const holder = spawn(process.execPath, ['-e', script, f], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve, reject) => {
      holder.stdout.on('data', (d) => {
        if (d.toString().includes('locked')) resolve();
      });
      holder.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
    });
    try {
      await three('locked (BEGIN EXCLUSIVE held by another process)', f, {
        sweep: [2],
        runs: [0],
        summary: [0],
      });
    } finally {
      holder.kill();
    }
  }
}

// =============================================================================================
// 4. Two writers

/**
 * Two writers: two `sweep`s of one spec on one database started at the same instant, five times on
 * a new database and five on one whose sweep was SIGKILLed half done. Clean: each exits 0 or 3 (3
 * naming the lease holder's PID), not both 3, no stack; a further plain sweep exits 0, and then
 * every run is done exactly once and no lease is left.
 */
async function areaWriters() {
  const A = AREAS.writers;
  const RUNS = 8;
  const REQUESTS = 4000;
  const preload = join(ROOT, 'same-instant.mjs');
  // Busy-waits until SURVEY_START_AT so that two processes start their work at the same instant.
  writeFileSync(preload, 'const t = Number(process.env.SURVEY_START_AT || 0); while (Date.now() < t) {}\n');
  for (const existing of [false, true]) {
    for (let k = 0; k < 5; k++) {
      const label = `${existing ? 'existing database, sweep half done' : 'new database'} #${k + 1}`;
      const dir = join(ROOT, `writers-${existing ? 'old' : 'new'}-${k}`);
      mkdirSync(dir);
      const spec = join(dir, 'lease.yaml');
      writeFileSync(spec, STORE_SPEC(REQUESTS, RUNS / 2).replace('store-faults', 'lease'));
      const db = join(dir, 'lease.db');
      const argv = ['sweep', spec, '--db', db, '--jobs', '1'];
      if (existing) {
        // Run half the sweep, then SIGKILL it (its lease and its running run stay, as after a power cut).
        const first = spawn(process.execPath, [BIN, ...argv], {
          cwd: REPO,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        first.stderr.on('data', (d) => (err += d));
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          await sleep(50);
          if ((err.match(/^\[\d+\/\d+\] run /gm) ?? []).length >= RUNS / 2) break;
          if (first.exitCode !== null) break;
        }
        first.kill('SIGKILL');
        await new Promise((r) =>
          first.exitCode !== null || first.signalCode !== null ? r() : first.once('exit', r),
        );
      }
      const at = Date.now() + 1500;
      const env = { NODE_OPTIONS: `--import ${preload}`, SURVEY_START_AT: String(at) };
      const [a, b] = await Promise.all([
        cli(argv, { env, timeoutMs: 120_000 }),
        cli(argv, { env, timeoutMs: 120_000 }),
      ]);
      const cmd = `2 x at once: ${cmdLine(argv)}`;
      const bad = [];
      let kind = 'clean';
      // A wrong code or a lost run only sets the verdict when nothing worse was found.
      const soft = (k) => {
        if (kind === 'clean') kind = k;
      };
      for (const [who, r] of [
        ['A', a],
        ['B', b],
      ]) {
        const out = r.stdout + r.stderr;
        if (r.timedOut) {
          kind = 'hang';
          bad.push(`${who} timed out`);
        } else if (r.signal || STACK.test(out) || INTERNAL.test(out)) {
          kind = 'crash';
          bad.push(`${who}: exit ${r.code} ${r.signal ?? ''} with a stack/internal error`);
        } else if (/inconsistent|migration/i.test(out)) {
          kind = 'crash';
          bad.push(`${who}: "inconsistent"/"migration" in output`);
        } else if (![0, 3].includes(r.code)) {
          soft('other');
          bad.push(`${who}: exit ${r.code}, promised 0 or 3`);
        } else if (r.code === 3 && !/sweep \d+ is being run by PID \d+ on \S+ since/.test(r.stderr)) {
          soft('other');
          bad.push(`${who}: exit 3 without the holder's PID`);
        }
      }
      if (a.code === 3 && b.code === 3) {
        soft('other');
        bad.push('both exited 3');
      }
      // One more plain sweep, then every run done exactly once.
      const last = await cli(argv, { timeoutMs: 120_000 });
      if (last.code !== 0) {
        soft('lost');
        bad.push(`the plain sweep after both exited ${last.code}: ${last.stderr.slice(0, 200)}`);
      }
      let problem;
      try {
        problem = allDoneOnce(db, RUNS, REQUESTS);
        const conn = openRo(db);
        const leases = one(conn, 'SELECT count(*) AS n FROM sweep_leases');
        conn.close();
        if (!problem && leases) problem = `${leases} lease(s) left after every process ended`;
      } catch (e) {
        problem = `cannot check: ${e.message}`;
      }
      if (problem) {
        soft('lost');
        bad.push(problem);
      }
      const stderr = `A exit ${a.code}: ${a.stderr
        .split('\n')
        .filter((l) => /schedbench:|error/i.test(l))
        .join(' | ')}\nB exit ${b.code}: ${b.stderr
        .split('\n')
        .filter((l) => /schedbench:|error/i.test(l))
        .join(' | ')}`;
      record(
        A,
        `${label} (exits ${a.code}, ${b.code})`,
        kind,
        bad.join('; ') || `exits ${a.code} and ${b.code}`,
        { cmd, code: `${a.code},${b.code}`, stderr },
      );
    }
  }
}

// =============================================================================================
// 5. Browser mode

function request({
  port,
  method = 'GET',
  path = '/',
  headers = {},
  body,
  setHost = true,
  raw,
  timeoutMs = 15_000,
}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    if (raw) {
      // A raw request line (absolute-form targets and the like).
      const sock = net.connect(port, '127.0.0.1');
      let data = '';
      const timer = setTimeout(() => {
        sock.destroy();
        resolve({ status: 'timeout', text: data, headers: {}, ms: Date.now() - t0 });
      }, timeoutMs);
      sock.on('connect', () => sock.write(raw));
      sock.on('data', (d) => (data += d));
      sock.on('error', (e) => {
        clearTimeout(timer);
        const m = /^HTTP\/1\.\d (\d+)/.exec(data);
        resolve({
          status: m ? Number(m[1]) : `error ${e.code}`,
          text: data,
          headers: {},
          ms: Date.now() - t0,
        });
      });
      sock.on('close', () => {
        clearTimeout(timer);
        const m = /^HTTP\/1\.\d (\d+)/.exec(data);
        resolve({ status: m ? Number(m[1]) : 'no answer', text: data, headers: {}, ms: Date.now() - t0 });
      });
      return;
    }
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, setHost, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          if (text.length < 2e6) text += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode, text, headers: res.headers, ms: Date.now() - t0 }),
        );
        res.on('error', () =>
          resolve({ status: res.statusCode, text, headers: res.headers, ms: Date.now() - t0 }),
        );
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ status: 'timeout', text: '', headers: {}, ms: Date.now() - t0 });
    });
    req.on('error', (e) =>
      resolve({ status: `error ${e.code}`, text: '', headers: {}, ms: Date.now() - t0 }),
    );
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Browser mode: one `serve` process probed for the token, Host and Origin checks, CORS and CSRF,
 * static-path traversal, paths outside the data roots, hostile bodies and 1,000 SSE streams.
 * Clean: the expected status, no 500 or stack, no CORS header or cookie, no leaked file content or
 * token, answers in time; the server stays alive, bounded in memory, and exits 0 on SIGTERM.
 */
async function areaServe() {
  const A = AREAS.serve;
  const dir = join(ROOT, 'serve');
  const dbDir = join(dir, 'db');
  const dataDir = join(dir, 'data');
  const outside = join(dir, 'outside');
  for (const d of [dbDir, dataDir, outside]) mkdirSync(d, { recursive: true });
  writeFileSync(join(outside, 'secret.csv'), 'TIMESTAMP,SECRET-FIRST-LINE-7f3a\nnot,a,row\n');
  symlinkSync(join(outside, 'secret.csv'), join(dataDir, 'link.csv'));
  const fifo = join(dbDir, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
  const db = join(dbDir, 'serve.db');
  const argv = ['serve', '--db', db, '--port', '0', '--data-dir', dataDir, '--jobs', '1'];
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
  const deadline = Date.now() + 30_000;
  let line;
  while (!(line = /^(http:\/\/\S+)\n$/m.exec(stdout)?.[1])) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      record(
        A,
        'serve starts and prints its URL',
        'crash',
        `no ready URL: ${stdout} ${stderr}`.slice(0, 300),
        { cmd: cmdLine(argv) },
      );
      return;
    }
    await sleep(20);
  }
  const ready = new URL(line);
  const token = ready.searchParams.get('token');
  const port = Number(ready.port);
  const host = `127.0.0.1:${port}`;
  const bearer = { authorization: `Bearer ${token}` };
  const json = { 'content-type': 'application/json' };
  let peakRss = 0;
  const rssPoll = setInterval(() => (peakRss = Math.max(peakRss, vmKb(child.pid, 'VmRSS'))), 200);

  /** One probe: `expect` is a list of acceptable statuses; `forbid` a regexp the body must not match. */
  async function probe(name, opts, expect, { forbid, okText, maxMs } = {}) {
    const r = await request({ port, ...opts });
    const cmd = opts.raw
      ? `raw: ${JSON.stringify(opts.raw.length > 200 ? `${opts.raw.slice(0, 120)}...(${opts.raw.length} bytes)` : opts.raw)}`
      : `curl -X ${opts.method ?? 'GET'} ${Object.entries(opts.headers ?? {})
          .map(([k, v]) => `-H ${q(`${k}: ${String(v).replace(token, 'TOKEN').slice(0, 80)}`)}`)
          .join(
            ' ',
          )} ${opts.body !== undefined ? `--data <${String(opts.body).length} bytes> ` : ''}${q(`http://${host}${opts.path ?? '/'}`)}`;
    const extra = { cmd, code: r.status, stderr: r.text.slice(0, 300) };
    if (r.status === 'timeout') return record(A, name, 'hang', `no answer within 15 s`, extra);
    if (typeof r.status !== 'number') return record(A, name, 'crash', `connection: ${r.status}`, extra);
    if (r.status === 500 || STACK.test(r.text) || INTERNAL.test(r.text))
      return record(A, name, 'crash', `status ${r.status}, stack/internal error in the body`, extra);
    const acao = r.headers['access-control-allow-origin'];
    if (acao) return record(A, name, 'other', `Access-Control-Allow-Origin: ${acao}`, extra);
    if (r.headers['set-cookie'])
      return record(A, name, 'other', `sets a cookie: ${r.headers['set-cookie']}`, extra);
    if (forbid && forbid.test(r.text)) return record(A, name, 'lost', `body leaks: ${forbid}`, extra);
    if (!expect.includes(r.status))
      return record(A, name, 'other', `status ${r.status}, expected ${expect.join('/')}`, extra);
    if (okText && !okText.test(r.text))
      return record(A, name, 'other', `body does not match ${okText}`, extra);
    if (maxMs && r.ms > maxMs)
      return record(A, name, 'hang', `answered in ${r.ms} ms (> ${maxMs} ms)`, extra);
    if (r.status !== 401 && r.text.includes(token) && !name.startsWith('ready URL'))
      return record(A, name, 'other', 'body contains the token', extra);
    return record(A, name, 'clean', `status ${r.status}`, extra);
  }
  const post = (op, input, headers = {}) => ({
    method: 'POST',
    path: `/api/${op}`,
    headers: { ...json, ...bearer, ...headers },
    body: typeof input === 'string' ? input : JSON.stringify(input),
  });
  const SECRETS = /root:|PATH=|HOME=|SECRET-FIRST-LINE/;

  // -- token
  await probe(
    'no token: POST runs.list',
    { method: 'POST', path: '/api/runs.list', headers: json, body: '{}' },
    [401],
  );
  await probe(
    'wrong token',
    {
      method: 'POST',
      path: '/api/runs.list',
      headers: { ...json, authorization: 'Bearer wrong' },
      body: '{}',
    },
    [401],
  );
  await probe(
    'token + 1 char',
    {
      method: 'POST',
      path: '/api/runs.list',
      headers: { ...json, authorization: `Bearer ${token}x` },
      body: '{}',
    },
    [401],
  );
  await probe(
    'token prefix',
    {
      method: 'POST',
      path: '/api/runs.list',
      headers: { ...json, authorization: `Bearer ${token.slice(0, -1)}` },
      body: '{}',
    },
    [401],
  );
  await probe(
    'token in query only',
    { method: 'POST', path: `/api/runs.list?token=${token}`, headers: json, body: '{}' },
    [401],
  );
  await probe(
    'token as cookie',
    {
      method: 'POST',
      path: '/api/runs.list',
      headers: { ...json, cookie: `schedbench_token=${token}` },
      body: '{}',
    },
    [401],
  );
  await probe(
    'Basic auth with the token',
    {
      method: 'POST',
      path: '/api/runs.list',
      headers: { ...json, authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` },
      body: '{}',
    },
    [401],
  );
  await probe(
    'empty Bearer',
    { method: 'POST', path: '/api/runs.list', headers: { ...json, authorization: 'Bearer ' }, body: '{}' },
    [401],
  );
  await probe('token in header: runs.list', post('runs.list', {}), [200]);
  await probe('token in header: health', post('health', {}), [200]);
  await probe('events without token', { path: '/api/events' }, [401]);
  await probe(
    'events wrong token',
    { path: '/api/events', headers: { authorization: 'Bearer nope' } },
    [401],
  );
  await probe('GET on a POST operation', { path: '/api/health', headers: bearer }, [405]);
  await probe('unknown operation', post('nope.nope', {}), [404]);
  await probe('/api/session is gone', { path: '/api/session', headers: bearer }, [404, 405]);
  await probe('ready URL, wrong token', { path: '/?token=wrong' }, [401]);
  await probe('ready URL, right token', { path: `/?token=${token}` }, [200]);
  await probe('/api root without token', { path: '/api' }, [401]);
  // -- Host
  await probe(
    'Host evil.com:PORT',
    { ...post('runs.list', {}), headers: { ...json, ...bearer, host: `evil.com:${port}` } },
    [403],
  );
  await probe('Host evil.com (page)', { path: '/', headers: { host: 'evil.com' } }, [403]);
  await probe(
    'Host 127.0.0.1.evil.com:PORT',
    { path: '/', headers: { host: `127.0.0.1.evil.com:${port}` } },
    [403],
  );
  await probe(
    'Host localhost:PORT',
    { ...post('health', {}), headers: { ...json, ...bearer, host: `localhost:${port}` } },
    [200],
  );
  await probe(
    'no Host header (HTTP/1.1)',
    { raw: `GET / HTTP/1.1\r\nConnection: close\r\n\r\n` },
    [400, 403],
  );
  await probe(
    'Host with userinfo',
    { path: '/', headers: { host: `evil.com@127.0.0.1:${port}` } },
    [400, 403],
  );
  // -- Origin / CORS / CSRF
  await probe('foreign Origin with token', post('runs.list', {}, { origin: 'http://evil.com' }), [403]);
  await probe('Origin null with token', post('runs.list', {}, { origin: 'null' }), [403]);
  await probe('Origin of another local port', post('runs.list', {}, { origin: 'http://127.0.0.1:1' }), [403]);
  await probe('own Origin with token', post('health', {}, { origin: `http://${host}` }), [200]);
  await probe(
    'CORS preflight from a foreign origin',
    {
      method: 'OPTIONS',
      path: '/api/sweeps.start',
      headers: {
        origin: 'http://evil.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    },
    [401, 403, 405],
  );
  await probe(
    'CORS preflight to a static path',
    {
      method: 'OPTIONS',
      path: '/',
      headers: { origin: 'http://evil.com', 'access-control-request-method': 'GET' },
    },
    [403, 405],
  );
  await probe(
    'CSRF: form POST sweeps.start, foreign origin, no token',
    {
      method: 'POST',
      path: '/api/sweeps.start',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.com' },
      body: 'yaml=name%3A+x',
    },
    [401, 403],
  );
  await probe(
    'CSRF: text/plain POST, no Origin, no token',
    {
      method: 'POST',
      path: '/api/sweeps.delete',
      headers: { 'content-type': 'text/plain' },
      body: '{"sweepId":1}',
    },
    [401],
  );
  await probe(
    'form-encoded POST with the token',
    {
      method: 'POST',
      path: '/api/runs.list',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=2',
    },
    [400],
  );
  // -- traversal in static paths
  for (const p of [
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%252e%252e/%252e%252e/etc/passwd',
    '/assets/../../../../etc/passwd',
    '/....//....//etc/passwd',
    '/assets/..%5c..%5c..%5cetc%5cpasswd',
    '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '/index.html%00.js',
    '/%00',
    `/..%2f..%2f..%2f..%2f${REPO.slice(1).replace(/\//g, '%2f')}package.json`,
    '/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
  ])
    await probe(
      `static traversal ${p.length > 50 ? `${p.slice(0, 50)}...` : p}`,
      { path: p },
      [400, 403, 404],
      { forbid: /root:x:|"name":\s*"schedbench"|"dependencies"/ },
    );
  await probe(
    'absolute-form request target',
    {
      raw: `GET http://127.0.0.1:${port}/../../etc/passwd HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    },
    [400],
    { forbid: /root:x:/ },
  );
  await probe(
    '//etc/passwd target',
    { raw: `GET //etc/passwd HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n` },
    [400, 404],
    { forbid: /root:x:/ },
  );
  await probe('POST to a static path', { method: 'POST', path: '/', body: 'x' }, [405]);
  await probe('HEAD /', { method: 'HEAD', path: '/' }, [200]);
  // -- datasets.preview and spec paths outside the roots
  for (const [label, path, expect] of [
    ['/etc/shadow', '/etc/shadow', [400]],
    ['/proc/self/environ', '/proc/self/environ', [400]],
    ['/dev/zero', '/dev/zero', [400]],
    ['a FIFO in the database folder', fifo, [400]],
    ['a path outside the data roots', join(outside, 'secret.csv'), [400]],
    ['a link out of a data root', join(dataDir, 'link.csv'), [400]],
    ['a ../ escape from a data root', `${dataDir}/../outside/secret.csv`, [400]],
    ['the database folder itself', dbDir, [400]],
    ['a missing file in a root', join(dataDir, 'missing.csv'), [400, 404]],
    // inside a data root (the database's folder): allowed by design, binary shown as CSV cells
    ['the database file', db, [200, 400]],
  ])
    await probe(`datasets.preview of ${label}`, post('datasets.preview', { path }), expect, {
      forbid: SECRETS,
      maxMs: 10_000,
    });
  {
    const last = results.at(-1);
    if (last.code === 200)
      last.note =
        'datasets.preview of the SQLite database file (inside the database folder, a data root) answers 200 with its binary header as CSV cells';
  }
  await probe('datasets.preview with a number as path', post('datasets.preview', { path: 5 }), [400]);
  await probe(
    'datasets.import from outside the roots',
    post('datasets.import', {
      name: 'stolen',
      path: join(outside, 'secret.csv'),
      format: 'csv',
      columns: { arrival: 'TIMESTAMP', prompt: 'a', output: 'b' },
    }),
    [400],
    { forbid: SECRETS },
  );
  await probe(
    'database.import of /etc/passwd',
    post('database.import', { path: '/etc/passwd' }),
    [400, 404],
    { forbid: SECRETS },
  );
  const traceSpec = (p) =>
    [
      'name: sneaky',
      'machine: a100-llama2-7b',
      'requests: 10',
      'workloads:',
      `  - { name: t, trace: { path: ${JSON.stringify(p)}, format: azure } }`,
      'policies: [{ policy: fcfs }]',
      '',
    ].join('\n');
  await probe(
    'sweeps.validate with trace /etc/passwd',
    post('sweeps.validate', { yaml: traceSpec('/etc/passwd') }),
    [400],
    { forbid: SECRETS },
  );
  await probe(
    'sweeps.start with trace ../outside/secret.csv',
    post('sweeps.start', { yaml: traceSpec('../outside/secret.csv'), dir: dataDir }),
    [400],
    { forbid: SECRETS },
  );
  await probe(
    'sweeps.validate with a FIFO trace',
    post('sweeps.validate', { yaml: traceSpec(fifo) }),
    [200, 400],
    { maxMs: 10_000, forbid: SECRETS },
  );
  // -- bodies
  const bomb = [
    'name: &n bomb',
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...'bcdef'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcde'[i]}`).join(', ')}]`),
    '',
  ].join('\n');
  await probe(
    'body over 10 MiB',
    { ...post('runs.list', {}), body: `{"x":"${'a'.repeat(11 * 1024 * 1024)}"}` },
    [413],
  );
  await probe(
    'Content-Length 1 GB, no body sent',
    {
      ...post('runs.list', {}),
      headers: { ...json, ...bearer, 'content-length': '1000000000' },
      body: undefined,
      timeoutMs: 10_000,
    },
    [413],
  );
  await probe('malformed JSON', post('runs.list', '{"a": '), [400]);
  await probe('JSON null (same as no body)', post('runs.list', 'null'), [200, 400]);
  await probe('JSON array', post('runs.list', '[1,2]'), [400]);
  await probe('JSON string', post('sweeps.validate', '"yaml"'), [400]);
  await probe(
    'invalid UTF-8 body',
    { ...post('runs.list', {}), body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
    [400],
  );
  await probe(
    'deeply nested JSON (1e6 levels)',
    post('runs.list', `${'['.repeat(1e6)}${']'.repeat(1e6)}`),
    [400],
  );
  await probe('wrong field types', post('sweeps.get', { sweepId: 'one' }), [400]);
  await probe('extra fields', post('health', { evil: true }), [400]);
  await probe('__proto__ in the body', post('runs.list', '{"__proto__": {"polluted": 1}}'), [200, 400]);
  await probe('sweeps.validate: YAML alias bomb', post('sweeps.validate', { yaml: bomb }), [200, 400], {
    maxMs: 5000,
    okText: /alias/,
  });
  await probe(
    'sweeps.validate: 10^9-run grid',
    post('sweeps.validate', { yaml: readFileSync(join(ROOT, 'input', 'huge.yaml'), 'utf8') }),
    [200],
    { maxMs: 3000, okText: /1000000000 runs/ },
  );
  await probe(
    'sweeps.validate: 2 MiB of YAML',
    post('sweeps.validate', { yaml: `name: x\ndescription: "${'x'.repeat(2 * 1024 * 1024)}"\n` }),
    [200, 400],
    { maxMs: 5000 },
  );
  await probe(
    'sweeps.start: requests 1e9',
    post('sweeps.start', {
      yaml: 'name: r\nmachine: a100-llama2-7b\nrequests: 1e9\nworkloads: [{name: w, types: [{prompt: 10, output: 10, rate: 1}]}]\npolicies: [{policy: fcfs}]\n',
    }),
    [400],
  );

  {
    const big = join(dataDir, 'sparse-300m.csv');
    writeFileSync(big, 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:10.6805900,374,44\n');
    truncateSync(big, 300 * 1024 * 1024);
    await probe(
      'datasets.preview of a 300 MiB sparse file in a root',
      post('datasets.preview', { path: big }),
      [200, 400],
      { maxMs: 15_000 },
    );
  }
  await probe('sweeps.get of id 1e300', post('sweeps.get', { sweepId: 1e300 }), [400, 404]);
  await probe('sweeps.get of id -1', post('sweeps.get', { sweepId: -1 }), [400, 404]);
  await probe(
    'runs.compare of 100,000 ids',
    post('runs.compare', { runIds: Array.from({ length: 100000 }, (_, i) => i + 1) }),
    [400, 404],
    { maxMs: 10_000 },
  );
  await probe(
    'header of 100 kB',
    {
      raw: `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\nConnection: close\r\n\r\n`,
    },
    [431, 400],
  );
  {
    const tiny =
      'name: tiny\nmachine: a100-llama2-7b\nrequests: 2000\nseeds: [1, 2]\nworkloads: [{name: w, types: [{prompt: 200, output: 100, rate: 6}]}]\npolicies: [{policy: fcfs}, {policy: vllm}]\n';
    const started = await request({ port, ...post('sweeps.start', { yaml: tiny }) });
    const id = (() => {
      try {
        return JSON.parse(started.text).value.sweepId;
      } catch {
        return undefined;
      }
    })();
    record(
      A,
      'sweeps.start of a valid spec',
      started.status === 200 && id ? 'clean' : started.status === 500 ? 'crash' : 'other',
      `status ${started.status} ${started.text.slice(0, 200)}`,
      { cmd: 'POST /api/sweeps.start', code: started.status, stderr: started.text.slice(0, 300) },
    );
    if (id) {
      await probe(
        'sweeps.start of the same spec again (running)',
        post('sweeps.start', { yaml: tiny }),
        [200, 409],
      );
      await probe('sweeps.delete of the running sweep', post('sweeps.delete', { sweepId: id }), [200, 409]);
    }
  }

  // -- 1,000 concurrent SSE streams
  {
    const N = 1000;
    const socks = [];
    let opened = 0;
    let refused = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from(
        { length: N },
        () =>
          new Promise((resolve) => {
            const req = http.request(
              { host: '127.0.0.1', port, path: '/api/events', headers: bearer, agent: false },
              (res) => {
                if (res.statusCode === 200) opened++;
                else refused++;
                res.on('data', () => {});
                res.on('error', () => {});
                resolve();
              },
            );
            req.on('error', () => {
              refused++;
              resolve();
            });
            req.setTimeout(30_000, () => {
              req.destroy();
              resolve();
            });
            socks.push(req);
            req.end();
          }),
      ),
    );
    const openMs = Date.now() - t0;
    const health = await request({ port, ...post('health', {}), timeoutMs: 10_000 });
    const runs = await request({ port, ...post('runs.list', {}), timeoutMs: 10_000 });
    const rssMb = vmKb(child.pid, 'VmRSS') / 1024;
    const extra = {
      cmd: `${N} x curl -N -H 'Authorization: Bearer TOKEN' http://${host}/api/events, then POST /api/health`,
      code: health.status,
      stderr: `opened ${opened}, refused ${refused} in ${openMs} ms; health ${health.status} in ${health.ms} ms; runs.list ${runs.status} in ${runs.ms} ms; serve RSS ${rssMb.toFixed(0)} MiB`,
    };
    if (health.status === 'timeout' || runs.status === 'timeout')
      record(A, `${N} SSE streams: server responsive`, 'hang', extra.stderr, extra);
    else if (health.status !== 200 || runs.status !== 200)
      record(A, `${N} SSE streams: server responsive`, 'crash', extra.stderr, extra);
    else if (health.ms > 2000)
      record(A, `${N} SSE streams: server responsive`, 'hang', `health took ${health.ms} ms`, extra);
    else
      record(A, `${N} SSE streams: server responsive`, 'clean', extra.stderr, {
        ...extra,
        note: extra.stderr,
      });
    if (rssMb * 1024 > BLOWUP_KB) record(A, `${N} SSE streams: memory bounded`, 'hang', extra.stderr, extra);
    else if (opened !== N) record(A, `${N} SSE streams: all accepted`, 'other', extra.stderr, extra);
    else
      record(A, `${N} SSE streams: memory bounded (${rssMb.toFixed(0)} MiB)`, 'clean', extra.stderr, extra);
    for (const s of socks) s.destroy();
    await sleep(500);
    const after = await request({ port, ...post('health', {}), timeoutMs: 10_000 });
    record(
      A,
      `after closing ${N} streams: health`,
      after.status === 200 ? 'clean' : after.status === 'timeout' ? 'hang' : 'crash',
      `status ${after.status}`,
      { cmd: 'POST /api/health', code: after.status },
    );
  }
  clearInterval(rssPoll);
  // The server itself: alive, no stack on its stderr, exits 0 on SIGTERM.
  const alive = child.exitCode === null && child.signalCode === null;
  const exited = new Promise((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c, s) => r(c ?? s)),
  );
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(force);
  const extra = { cmd: cmdLine(argv), code, stderr: stderr.slice(-300) };
  if (!alive)
    record(A, 'serve process survived every probe', 'crash', `it had exited: ${stderr.slice(-300)}`, extra);
  else if (STACK.test(stderr) || INTERNAL.test(stderr))
    record(A, 'serve stderr free of stacks', 'crash', 'stack on stderr', extra);
  else if (code !== 0) record(A, 'serve exits 0 on SIGTERM', 'other', `exit ${code}`, extra);
  else
    record(
      A,
      `serve alive through every probe, exits 0 on SIGTERM (peak RSS ${(peakRss / 1024).toFixed(0)} MiB)`,
      'clean',
      'ok',
      extra,
    );
}

// =============================================================================================

const COLS = ['clean', 'crash', 'hang', 'lost', 'other'];
function table() {
  const lines = [
    '| area | tried | as promised (clean exit with a clear message) | crash (stack) | hang / memory blow-up | lost or wrongly stored | other (wrong code/status, unclear message; no stack) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [key, label] of Object.entries(AREAS)) {
    if (ONLY && ONLY !== key) continue;
    const rs = results.filter((r) => r.area === label);
    const n = Object.fromEntries(COLS.map((c) => [c, rs.filter((r) => r.verdict === c).length]));
    lines.push(`| ${label} | ${rs.length} | ${n.clean} | ${n.crash} | ${n.hang} | ${n.lost} | ${n.other} |`);
  }
  return lines.join('\n');
}

async function main() {
  const run = {
    input: areaInput,
    disk: areaDisk,
    db: areaDb,
    writers: areaWriters,
    serve: async () => {
      // serve reuses the 10^9 grid spec written by the input area
      if (!existsSync(join(ROOT, 'input'))) mkdirSync(join(ROOT, 'input'));
      const TEN = `[${Array.from({ length: 10 }, (_, i) => i + 1).join(', ')}]`;
      const HUN = `[${Array.from({ length: 10 }, (_, i) => 100 + i).join(', ')}]`;
      writeFileSync(
        join(ROOT, 'input', 'huge.yaml'),
        [
          'name: huge',
          'machine: a100-llama2-7b',
          'requests: 20',
          `seeds: ${TEN}`,
          'workloads:',
          '  - name: synth',
          `    promptTokens: { dist: uniform, min: ${TEN}, max: ${HUN} }`,
          `    outputTokens: { dist: uniform, min: ${TEN}, max: ${HUN} }`,
          `    arrival: { process: poisson, rate: ${TEN} }`,
          `    maxTokens: [${Array.from({ length: 10 }, (_, i) => 1000 + i).join(', ')}]`,
          'policies:',
          `  - { policy: vllm, maxNumSeqs: ${TEN}, maxNumBatchedTokens: [${Array.from({ length: 10 }, (_, i) => 4096 + i).join(', ')}] }`,
          '',
        ].join('\n'),
      );
      await areaServe();
    },
  };
  for (const [key, fn] of Object.entries(run)) {
    if (ONLY && ONLY !== key) continue;
    const t = Date.now();
    process.stderr.write(`== ${AREAS[key]}\n`);
    try {
      await fn();
    } catch (e) {
      record(AREAS[key], `survey error in area ${key}`, 'other', `the survey script failed: ${e.stack}`);
    }
    process.stderr.write(`== ${key}: ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
}

try {
  await main();
} finally {
  umountAll();
}
const md = [
  `# Fault survey (${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  '',
  table(),
  '',
  '## Cases not clean',
  '',
  ...results
    .filter((r) => r.verdict !== 'clean')
    .map(
      (r) =>
        `- **${r.verdict}** [${r.area.split(' (')[0]}] ${r.name}: ${r.detail}\n  - command: \`${r.cmd}\`\n  - exit: ${r.code}; stderr: \`${r.stderr.slice(0, 300).replace(/\n/g, '⏎')}\``,
    ),
  '',
  '## Notes',
  '',
  ...results.filter((r) => r.note).map((r) => `- [${r.area.split(' (')[0]}] ${r.name}: ${r.note}`),
  '',
].join('\n');
console.log(md);
const outFile = join(process.env.TMPDIR || tmpdir(), 'fault-survey.md');
writeFileSync(outFile, md);
process.stderr.write(`written ${outFile}; inputs in ${ROOT}${KEEP ? '' : ' (removed)'}\n`);
if (!KEEP) rmSync(ROOT, { recursive: true, force: true });
