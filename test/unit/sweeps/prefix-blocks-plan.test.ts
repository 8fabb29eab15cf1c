import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { requestListDigest } from '../../../runner/sweeps/identical-seeds.js';
import { planSweep, requestListKey, runTaskOf } from '../../../runner/sweeps/sweep-plan.js';
import { traceWindowStart } from '../../../runner/workloads/build-workload.js';
import { readMooncakeTrace } from '../../../runner/workloads/mooncake-trace.js';
import { validatePrefixBlocks } from '../../../runner/workloads/prefix-blocks.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';

const TRACE = fileURLToPath(
  new URL('../../../data/mooncake-fast25/conversation_trace.jsonl', import.meta.url),
);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Request i's block ids. */
function idsOf(list: RequestList, i: number): number[] {
  const pb = list.prefixBlocks!;
  return Array.from(pb.ids.subarray(pb.offsets[i], pb.offsets[i + 1]));
}

describe('a sweep on the Mooncake trace', () => {
  it('gives every run task prefix blocks consistent with its prompts (window, rate, oversize: skip)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedbench-prefix-'));
    dirs.push(dir);
    const file = join(dir, 'spec.yaml');
    writeFileSync(
      file,
      [
        'name: prefix',
        'machine: {model: linear, d0: 0.01, d1: 2.0e-7, kvCapacityTokens: 20000, blockSize: 16}',
        'oversize: skip',
        'seeds: [1, 2]',
        'requests: 300',
        'workloads:',
        `  - {name: mc, trace: {path: ${JSON.stringify(TRACE)}, format: mooncake}, rate: [3, 6]}`,
        'policies: [{policy: fcfs}]',
      ].join('\n') + '\n',
    );
    const plan = planSweep(file);
    const table = readMooncakeTrace(TRACE);
    expect(plan.runs).toHaveLength(4);
    let skipped = 0;
    for (const run of plan.runs) {
      const full = plan.requestLists.get(requestListKey(run.workloadIndex, run.seed))!;
      validatePrefixBlocks(full.prefixBlocks!, full.promptTokens);
      expect(full.prefixBlocks!.ids.length).toBeGreaterThan(0);
      const task = runTaskOf(plan, run, 0);
      const list = task.requests;
      validatePrefixBlocks(list.prefixBlocks!, list.promptTokens);
      skipped += task.rejected;
      // each task request is the next full-list request with its arrival time; its ids are that
      // request's ids, which are the trace row's hash_ids (one per 512 prompt tokens)
      let j = 0;
      for (let i = 0; i < list.arrival.length; i++, j++) {
        while (full.arrival[j] !== list.arrival[i] || full.promptTokens[j] !== list.promptTokens[i]) j++;
        expect(idsOf(list, i)).toEqual(idsOf(full, j));
        expect(idsOf(list, i)).toHaveLength(Math.ceil(list.promptTokens[i] / 512));
      }
      const start = traceWindowStart(table.promptTokens.length, 300, run.seed);
      const pb = table.prefixBlocks!;
      expect(Array.from(full.prefixBlocks!.ids)).toEqual(
        Array.from(pb.ids.subarray(pb.offsets[start], pb.offsets[start + 300])),
      );
    }
    expect(skipped).toBeGreaterThan(0); // oversize: skip did filter requests
    // the tasks are cloned to worker threads: typed arrays survive structured clone
    const cloned = structuredClone(runTaskOf(plan, plan.runs[0], 0));
    expect(cloned.requests.prefixBlocks!.ids).toBeInstanceOf(Float64Array);
    expect(requestListDigest(cloned.requests)).toBe(
      requestListDigest(runTaskOf(plan, plan.runs[0], 0).requests),
    );
  });

  it('a request list digest depends on its prefix blocks, and is unchanged without them', () => {
    const base: RequestList = {
      arrival: Float64Array.from([0, 1]),
      promptTokens: Int32Array.from([600, 10]),
      outputTokens: Int32Array.from([1, 1]),
    };
    const a = {
      ...base,
      prefixBlocks: {
        blockTokens: 512,
        offsets: Int32Array.from([0, 2, 3]),
        ids: Float64Array.from([1, 2, 1]),
      },
    };
    const b = { ...a, prefixBlocks: { ...a.prefixBlocks, ids: Float64Array.from([1, 2, 3]) } };
    expect(requestListDigest(a)).not.toBe(requestListDigest(b));
    expect(requestListDigest(a)).not.toBe(requestListDigest(base));
    // without prefix blocks: the digest as it was before they existed
    const before = createHash('sha256');
    for (const x of [base.arrival, base.promptTokens, base.outputTokens]) {
      before.update(`${x.length}:`).update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    }
    before.update('-1:');
    expect(requestListDigest(base)).toBe(before.digest('hex'));
  });
});
