import { blocksFor } from '../../runner/engine/kv-blocks.js';
import { RequestStatus } from '../../runner/engine/request-status.js';
import type { EngineView, Scheduler } from '../../runner/engine/scheduler.js';

/** One decision a policy made, as seen through the auditing view. */
export interface Decision {
  iteration: number;
  kind: 'prefill' | 'decode' | 'evict';
  id: number;
  tokens: number;
}

/**
 * Wraps a scheduler and checks the engine's accounting independently of the engine: after each
 * schedule() the KV blocks held by all active requests must add up to the engine's usage and stay
 * within capacity, and every request must hold enough blocks for its KV tokens. It also counts
 * prefill tokens, decode steps and prefill completions so tests can check token conservation.
 */
export class AuditingScheduler implements Scheduler {
  readonly decisions: Decision[] = [];
  readonly finishedCount: number[] = [];
  readonly finalTarget: number[] = [];
  prefillTokens = 0;
  decodeSteps = 0;
  prefillCompletions = 0;
  /** Prefill tokens already processed that evictions threw away. */
  prefillTokensLost = 0;
  /** Output tokens that paper-mode evictions threw away (they are produced again). */
  outputTokensLost = 0;
  maxUsedBlocks = 0;
  private readonly active = new Set<number>();

  /**
   * @param options.sharedBlocks the run caches prefixes: requests may share blocks, so the blocks
   *   they hold add up to at least the engine's usage (a shared block counted once), not exactly
   */
  constructor(
    readonly inner: Scheduler,
    private readonly n: number,
    private readonly options: { sharedBlocks?: boolean } = {},
  ) {
    this.name = inner.name;
    for (let i = 0; i < n; i++) this.finishedCount.push(0);
  }
  readonly name: string;

  reservedBlocks(capacity: number): number {
    return this.inner.reservedBlocks(capacity);
  }
  onArrival(id: number, view: EngineView): void {
    this.inner.onArrival(id, view);
  }
  noMoreArrivals(): void {
    this.inner.noMoreArrivals?.();
  }
  onFinish(id: number, view: EngineView): void {
    this.finishedCount[id]++;
    this.finalTarget[id] = view.prefillTarget(id);
    this.active.delete(id);
    this.inner.onFinish(id, view);
  }

  schedule(view: EngineView): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the overrides below are plain functions that need the auditor
    const audit = this;
    const overrides: Partial<EngineView> = {
      prefill(id: number, tokens: number, reserve?: number) {
        if (tokens === view.remainingPrefill(id)) audit.prefillCompletions++;
        audit.prefillTokens += tokens;
        audit.decisions.push({ iteration: view.iteration, kind: 'prefill', id, tokens });
        view.prefill(id, tokens, reserve);
        audit.active.add(id);
      },
      decode(id: number) {
        audit.decodeSteps++;
        audit.decisions.push({ iteration: view.iteration, kind: 'decode', id, tokens: 1 });
        view.decode(id);
      },
      evict(id: number) {
        audit.prefillTokensLost += view.prefilledTokens(id);
        if (view.tokenModel === 'paper') audit.outputTokensLost += view.generatedTokens(id);
        audit.decisions.push({ iteration: view.iteration, kind: 'evict', id, tokens: view.kvTokens(id) });
        view.evict(id);
        audit.active.delete(id);
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
    let held = 0;
    for (const id of this.active) {
      if (view.status(id) !== RequestStatus.ACTIVE)
        throw new Error(`audit: #${id} tracked active but is ${view.status(id)}`);
      held += view.blocksHeld(id);
      if (view.blocksHeld(id) < blocksFor(view.kvTokens(id), view.blockSize)) {
        throw new Error(
          `audit: #${id} holds ${view.blocksHeld(id)} blocks for ${view.kvTokens(id)} KV tokens`,
        );
      }
    }
    const used = view.usedBlocks();
    if (this.options.sharedBlocks ? held < used : held !== used)
      throw new Error(
        `audit: blocks held ${held} ${this.options.sharedBlocks ? '<' : '!='} engine usage ${used}`,
      );
    if (used > view.kvCapacityBlocks)
      throw new Error(`audit: KV usage ${used} above capacity ${view.kvCapacityBlocks}`);
    if (used + view.freeBlocks() !== view.kvCapacityBlocks)
      throw new Error(`audit: used ${used} + free ${view.freeBlocks()} != capacity ${view.kvCapacityBlocks}`);
    this.maxUsedBlocks = Math.max(this.maxUsedBlocks, used);
  }

  /** Decisions grouped by iteration. */
  byIteration(): Map<number, Decision[]> {
    const m = new Map<number, Decision[]>();
    for (const d of this.decisions) {
      const list = m.get(d.iteration) ?? [];
      list.push(d);
      m.set(d.iteration, list);
    }
    return m;
  }
}
