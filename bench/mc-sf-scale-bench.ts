/**
 * `npm run bench:mc-sf`: the wall time of MC-SF's incremental future-memory check at scale (the
 * scheduler's cost is O(started · (admitted + 1)) per iteration; see runner/schedulers/mc-sf.ts).
 * The trace is the one of test/unit/policies/mc-sf/scale.test.ts, which checks the same run in
 * work done (engine calls) instead of seconds: 10,000 requests with Poisson arrivals at 50 req/s
 * (seeded LCG), exponential prompts (mean 40 tokens) and outputs (mean 85, at most 400 tokens), on
 * 1,031 KV blocks of 16 tokens (about the Llama2-70B capacity of MC-SF's experiments, Jaillet et
 * al., arXiv 2502.07115) with iteration time 0.01 s + 1e-6 s per KV token.
 * Prints wall seconds (best of 3 after a warm-up run), iterations and iterations per second.
 * Numbers only; no assertion (about 0.04 s per run on a 2-core development VM, after warm-up).
 */
import { performance } from 'node:perf_hooks';
import { simulate } from '../runner/engine/replica-engine.js';
import { LinearIterationTimeModel } from '../runner/latency/linear-model.js';
import { createScheduler, PolicySpecSchema } from '../runner/schedulers/policy-spec.js';
import type { RequestList } from '../runner/workloads/request-list.js';

const REQUESTS = 10_000;
const KV_BLOCKS = 1031;
const BLOCK_SIZE = 16;

/** The trace: arrival s, prompt and output tokens from a fixed LCG (the scale test's generator). */
function trace(): RequestList {
  let x = 42;
  const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const arrival = new Float64Array(REQUESTS);
  const promptTokens = new Int32Array(REQUESTS);
  const outputTokens = new Int32Array(REQUESTS);
  let t = 0;
  for (let i = 0; i < REQUESTS; i++) {
    t += -Math.log(1 - next()) * 0.02;
    arrival[i] = t;
    promptTokens[i] = 1 + Math.floor(-Math.log(1 - next()) * 40);
    outputTokens[i] = Math.min(400, 1 + Math.floor(-Math.log(1 - next()) * 85));
  }
  return { arrival, promptTokens, outputTokens };
}

/** One simulated run of MC-SF (oracle predictions) on the trace. @returns its iterations and wall seconds */
function run(requests: RequestList): { iterations: number; wallS: number } {
  const scheduler = createScheduler(PolicySpecSchema.parse({ policy: 'mc-sf' }), {
    requests,
    rateRps: 50,
    declaredTypes: null,
    machine: { kvCapacityBlocks: KV_BLOCKS, blockSize: BLOCK_SIZE, d0: 0.01, d1: 1e-6 },
    tokenModel: 'vllm',
    seed: 1,
  });
  const t0 = performance.now();
  const out = simulate(
    requests,
    {
      kvCapacityBlocks: KV_BLOCKS,
      blockSize: BLOCK_SIZE,
      iterationTime: new LinearIterationTimeModel(0.01, 1e-6),
      tokenModel: 'vllm',
    },
    scheduler,
  );
  return { iterations: out.totals.iterations, wallS: (performance.now() - t0) / 1000 };
}

const requests = trace();
run(requests); // warm-up (JIT)
let best = { iterations: 0, wallS: Infinity };
for (let i = 0; i < 3; i++) {
  const r = run(requests);
  if (r.wallS < best.wallS) best = r;
}
console.log(`mc-sf: ${REQUESTS} requests, Poisson 50 req/s, ${KV_BLOCKS} blocks of ${BLOCK_SIZE}`);
console.log(`  wall                      ${best.wallS.toFixed(3)} s (best of 3)`);
console.log(`  iterations                ${best.iterations}`);
console.log(`  iterations/s              ${(best.iterations / best.wallS).toFixed(0)}`);
