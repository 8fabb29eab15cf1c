import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../runner/store/store.js';
import { REPO, runCli } from '../helpers/cli.js';

/**
 * `schedbench sweep examples/fidelity/vidur-exact-requests.yaml` replays Vidur's seed-42 request
 * list (a CSV trace with Vidur's columns) exactly: the requests each run stores in the database
 * are the CSV's rows, arrivals shifted so that the first is 0 (docs/fidelity.md, "Replaying
 * Vidur's own request list"). Needs the build (dist/).
 */
const dir = mkdtempSync(join(tmpdir(), 'schedbench-vidur-exact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sweep replaying Vidur's request list", () => {
  it('stores exactly the listed arrivals and lengths for every run', () => {
    const db = join(dir, 'exact.db');
    const r = runCli(['sweep', 'examples/fidelity/vidur-exact-requests.yaml', '--db', db, '--jobs', '1']);
    expect(r.code, r.stderr).toBe(0);

    const lines = readFileSync(join(REPO, 'data/generated/vidur-arxiv-poisson-qps1-seed42-n2000.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('arrived_at,num_prefill_tokens,num_decode_tokens');
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    const first = rows[0][0];
    const expected = rows.map(([at, prompt, output]) => ({
      arrival_s: at - first,
      prompt_tokens: prompt,
      output_tokens: output,
    }));

    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const runs = conn.prepare("SELECT id, policy FROM runs WHERE status = 'done' ORDER BY id").all() as {
        id: number;
        policy: string;
      }[];
      expect(runs.map((x) => x.policy).sort()).toEqual(['sarathi', 'vllm']);
      const store = Store.open(db, { readonly: true });
      try {
        for (const run of runs) {
          const r = store.getRequestRecords(run.id);
          const stored = Array.from(r.arrival, (arrival, i) => ({
            arrival_s: arrival,
            prompt_tokens: r.promptTokens[i],
            output_tokens: r.outputTokens[i],
          }));
          expect(stored, run.policy).toEqual(expected);
        }
      } finally {
        store.close();
      }
    } finally {
      conn.close();
    }
  });
});
