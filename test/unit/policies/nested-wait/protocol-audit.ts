import { RequestStatus } from '../../../../runner/engine/request-status.js';
import type { EngineView, Scheduler } from '../../../../runner/engine/scheduler.js';
import type { NestedWaitScheduler } from '../../../../runner/schedulers/nested-wait.js';

/**
 * Re-derives Algorithm 2 (PAPER.md §4.3) independently of the scheduler and checks every
 * iteration against it:
 * - stages: a waiting request is queued at stage 0, a request holding KV at stage
 *   (tokens produced) + 1 under `paper` and (tokens produced) under `vllm`;
 * - k*: the largest prefix of segments whose entry stages hold n_k prompts (all segments once
 *   arrivals are over); nothing outside segments 1..k* runs;
 * - at most n_k prompts per stage, and exactly min(n_k, Q_{k,s}) decodes at every decode stage of
 *   an active segment when the iteration evicted nothing;
 * - eviction victims are the most recently admitted prompts holding KV (LIFO).
 */
export class ProtocolAudit implements Scheduler {
  readonly name: string;
  /** Iterations checked, and iterations in which some segment after k* held prompts (paused). */
  iterations = 0;
  pausedIterations = 0;
  private arrived = 0;
  private readonly admitted: number[] = [];
  private readonly segmentOfStage: number[] = [];

  constructor(
    readonly inner: NestedWaitScheduler,
    private readonly n: number,
  ) {
    this.name = inner.name;
    const st = inner.plan.stages;
    for (let k = 0; k < st.first.length; k++) {
      for (let s = st.first[k]; s <= st.last[k]; s++) this.segmentOfStage[s] = k;
    }
  }

  reservedBlocks(): number {
    return this.inner.reservedBlocks();
  }
  onArrival(id: number): void {
    this.arrived++;
    this.inner.onArrival(id);
  }
  onFinish(id: number): void {
    const i = this.admitted.indexOf(id);
    if (i >= 0) this.admitted.splice(i, 1);
    this.inner.onFinish(id);
  }

  schedule(view: EngineView): void {
    const plan = this.inner.plan;
    const { first, last } = plan.stages;
    const nk = plan.thresholds;
    const m = nk.length;
    const o = view.tokenModel === 'paper' ? 1 : 0;
    const stageBefore = new Map<number, number>();
    const count = new Map<number, number>();
    for (let id = 0; id < this.n; id++) {
      const status = view.status(id);
      if (status === RequestStatus.FUTURE || status === RequestStatus.FINISHED) {
        if (this.inner.stageOf(id) !== -1) throw new Error(`audit: #${id} queued while not in the system`);
        continue;
      }
      const expected = status === RequestStatus.WAITING ? 0 : view.generatedTokens(id) + o;
      const stage = this.inner.stageOf(id);
      if (stage !== expected) throw new Error(`audit: #${id} queued at stage ${stage}, expected ${expected}`);
      stageBefore.set(id, stage);
      count.set(stage, (count.get(stage) ?? 0) + 1);
    }
    let kStar = 0;
    if (this.arrived === this.n) kStar = m;
    else while (kStar < m && (count.get(first[kStar]) ?? 0) >= nk[kStar]) kStar++;
    this.iterations++;
    for (const [s] of count) {
      if (s > 0 && (kStar === 0 || s > last[kStar - 1])) {
        this.pausedIterations++;
        break;
      }
    }

    const decodes = new Map<number, number>();
    let prefills = 0;
    let evicted = false;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the overrides are plain functions
    const audit = this;
    const overrides: Partial<EngineView> = {
      prefill(id: number, tokens: number, reserve?: number) {
        if (stageBefore.get(id) !== 0)
          throw new Error(`audit: prefill of #${id} at stage ${stageBefore.get(id)}`);
        if (kStar === 0) throw new Error(`audit: prefill of #${id} with k* = 0`);
        prefills++;
        view.prefill(id, tokens, reserve);
        audit.admitted.push(id);
      },
      decode(id: number) {
        const s = stageBefore.get(id)!;
        const k = audit.segmentOfStage[s];
        if (!(s >= 1 && k < kStar))
          throw new Error(`audit: decode of #${id} at stage ${s} (segment ${k + 1}) with k* = ${kStar}`);
        decodes.set(s, (decodes.get(s) ?? 0) + 1);
        view.decode(id);
      },
      evict(id: number) {
        const lastAdmitted = audit.admitted[audit.admitted.length - 1];
        if (lastAdmitted !== id)
          throw new Error(`audit: evicted #${id}, most recently admitted is #${lastAdmitted}`);
        audit.admitted.pop();
        evicted = true;
        view.evict(id);
      },
    };
    const proxy = new Proxy(view, {
      get(target, prop) {
        const own = (overrides as Record<string | symbol, unknown>)[prop];
        if (own) return own;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    this.inner.schedule(proxy);

    if (prefills > Math.min(nk[0], count.get(0) ?? 0))
      throw new Error(`audit: ${prefills} prefills, n_1 = ${nk[0]}`);
    for (const [s, d] of decodes) {
      if (d > nk[this.segmentOfStage[s]]) throw new Error(`audit: ${d} decodes at stage ${s}`);
    }
    if (!evicted && kStar > 0) {
      for (let s = 1; s <= last[kStar - 1]; s++) {
        const want = Math.min(nk[this.segmentOfStage[s]], count.get(s) ?? 0);
        if ((decodes.get(s) ?? 0) !== want) {
          throw new Error(`audit: ${decodes.get(s) ?? 0} decodes at stage ${s}, Algorithm 2 takes ${want}`);
        }
      }
    }
  }
}
