import { blocksFor } from '../../../../runner/engine/kv-blocks.js';
import type { EngineView, Scheduler } from '../../../../runner/engine/scheduler.js';

/** A request's predicted KV path from this iteration on: a + k tokens in its k-th step, k = 1..n. */
interface Path {
  a: number;
  n: number;
}

/**
 * MC-SF written literally from docs/paper-model.md#mc-sf, for differential tests: every iteration it
 * rebuilds each request's predicted KV path from the engine's state and checks the memory at the
 * current step and at every predicted completion step of the started requests, U and the candidate
 * (O(M²) per candidate, no incremental state). Same LIFO eviction and queue order as McSfScheduler.
 */
export class ReferenceMcSf implements Scheduler {
  readonly name = 'mc-sf-reference';
  private readonly waiting: number[] = [];
  private readonly started: number[] = [];

  constructor(
    private readonly predicted: Int32Array,
    private readonly maxNumSeqs: number,
  ) {}

  reservedBlocks(): number {
    return 0;
  }
  onArrival(id: number): void {
    this.waiting.push(id);
  }
  onFinish(id: number): void {
    this.started.splice(this.started.indexOf(id), 1);
  }

  schedule(view: EngineView): void {
    const started = this.started;
    let growth = 0;
    for (const id of started) growth += view.blocksToDecode(id);
    while (growth > view.freeBlocks()) {
      const victim = started.pop()!;
      growth -= view.blocksToDecode(victim);
      view.evict(victim);
      this.waiting.push(victim);
    }
    const paths: Path[] = [];
    for (const id of started) {
      view.decode(id);
      // Before this iteration's decode the request holds K tokens; after its k-th step K + k.
      const left = Math.max(this.predicted[id] - view.generatedTokens(id), 1);
      paths.push({ a: view.kvTokens(id), n: left });
    }
    const order = [...this.waiting].sort((x, y) => this.predicted[x] - this.predicted[y] || x - y);
    for (const id of order) {
      if (started.length >= this.maxNumSeqs) break;
      const left = Math.max(this.predicted[id] - view.generatedTokens(id), 1);
      const candidate = { a: view.prefillTarget(id) - 1, n: view.tokenModel === 'vllm' ? left : left + 1 };
      const all = [...paths, candidate];
      const checkpoints = new Set([1, ...all.map((p) => p.n)]);
      let ok = true;
      for (const k of checkpoints) {
        let load = 0;
        for (const p of all) if (p.n >= k) load += blocksFor(p.a + k, view.blockSize);
        if (load > view.kvCapacityBlocks) ok = false;
      }
      if (!ok) break;
      view.prefill(id, view.prefillTarget(id));
      started.push(id);
      paths.push(candidate);
      this.waiting.splice(this.waiting.indexOf(id), 1);
    }
  }
}
