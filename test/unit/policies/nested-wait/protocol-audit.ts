import { RequestStatus } from '../../../../runner/engine/request-status.js';
import type { EngineView, Scheduler } from '../../../../runner/engine/scheduler.js';
import type { NestedWaitScheduler } from '../../../../runner/schedulers/nested-wait.js';

/**
 * Re-derives Algorithm 2 (arXiv 2504.11320v2 §5; variant `paper`) or the authors' code rule
 * (docs/paper-model.md#the-authors-simulator; variant `code`) independently of the scheduler and checks every iteration against it:
 * - stages: a waiting request is queued at stage 0, a request holding KV at stage
 *   (tokens produced) + 1 under `paper` and (tokens produced) under `vllm`;
 * - entry limits: n_k under `paper`; min(n_k, max(0, B_k - I_k)) under `code`, with I_k the
 *   prompts of segment k past its entry stage, counted from the engine's request state (for the
 *   admissions of an iteration that evicted, I_1 less the evicted ones);
 * - k*: the largest prefix of segments whose entry stages hold at least their entry limit (all
 *   segments once arrivals are over); nothing outside segments 1..k* runs;
 * - at most n_k prompts per stage (the entry limit at entry stages, prefills included), and exactly
 *   min(limit, Q_{k,s}) decodes at every decode stage of an active segment when the iteration
 *   evicted nothing;
 * - eviction victims are the most recently admitted prompts holding KV (LIFO).
 */
export class ProtocolAudit implements Scheduler {
  readonly name: string;
  /** Iterations checked, and iterations in which some segment after k* held prompts (paused). */
  iterations = 0;
  pausedIterations = 0;
  /** Iterations before the drain in which a segment started with fewer than n_k entry prompts (`code`). */
  budgetStarts = 0;
  /** Iterations in which a running segment's entry limit was below n_k (`code`, drain included). */
  budgetCaps = 0;
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
    const insideBefore = nk.map((_, k) => {
      let inside = 0;
      for (let s = first[k] + 1; s <= last[k]; s++) inside += count.get(s) ?? 0;
      return inside;
    });
    /** Entry limit of segment k with `evictedInside` of its prompts past the entry evicted. */
    const limitWith = (k: number, evictedInside: number): number =>
      this.inner.variant === 'paper'
        ? nk[k]
        : Math.min(nk[k], Math.max(0, plan.budgets[k] - (insideBefore[k] - evictedInside)));
    const entryLimit = nk.map((_, k) => limitWith(k, 0));
    let kStar = 0;
    if (this.arrived === this.n) kStar = m;
    else {
      while (kStar < m && (count.get(first[kStar]) ?? 0) >= entryLimit[kStar]) kStar++;
      for (let k = 0; k < kStar; k++) {
        if ((count.get(first[k]) ?? 0) < nk[k]) {
          this.budgetStarts++;
          break;
        }
      }
    }
    this.iterations++;
    for (let k = 0; k < kStar; k++) {
      if (entryLimit[k] < nk[k]) {
        this.budgetCaps++;
        break;
      }
    }
    for (const [s] of count) {
      if (s > 0 && (kStar === 0 || s > last[kStar - 1])) {
        this.pausedIterations++;
        break;
      }
    }

    const decodes = new Map<number, number>();
    let prefills = 0;
    let evicted = false;
    /** Per segment, evicted prompts that were past its entry stage. */
    const evictedInside = nk.map(() => 0);
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
        const s = stageBefore.get(id)!;
        const k = audit.segmentOfStage[s];
        if (s > first[k]) evictedInside[k]++;
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

    // After evictions, `code` recomputes the entry limits without the evicted prompts.
    const limitOf = (s: number): number => {
      const k = this.segmentOfStage[s];
      if (s !== first[k]) return nk[k];
      return evicted ? limitWith(k, evictedInside[k]) : entryLimit[k];
    };
    if (prefills > Math.min(limitOf(0), count.get(0) ?? 0))
      throw new Error(`audit: ${prefills} prefills, entry limit ${limitOf(0)}, n_1 = ${nk[0]}`);
    for (const [s, d] of decodes) {
      if (d > limitOf(s)) throw new Error(`audit: ${d} decodes at stage ${s}, limit ${limitOf(s)}`);
    }
    if (!evicted && kStar > 0) {
      for (let s = 1; s <= last[kStar - 1]; s++) {
        const want = Math.min(limitOf(s), count.get(s) ?? 0);
        if ((decodes.get(s) ?? 0) !== want) {
          throw new Error(
            `audit: ${decodes.get(s) ?? 0} decodes at stage ${s}, the ${this.inner.variant} rule takes ${want}`,
          );
        }
      }
    }
  }
}
