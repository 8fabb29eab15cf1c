import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { withoutRequests } from '../../../runner/sweeps/oversize.js';
import { buildRequestList, loadWorkload, nominalRate } from '../../../runner/workloads/build-workload.js';
import {
  meanSessionTurns,
  selectSessionTurns,
  SESSION_BLOCK_TOKENS,
  validateSessions,
  type SessionTurns,
} from '../../../runner/workloads/multi-turn.js';
import { validatePrefixBlocks } from '../../../runner/workloads/prefix-blocks.js';
import type { RequestList } from '../../../runner/workloads/request-list.js';
import { workloadAtRate } from '../../../runner/workloads/workload-at-rate.js';
import { parseWorkloadSpec, type WorkloadSpec } from '../../../runner/workloads/workload-spec.js';
import { ROOT, sameArray } from './helpers.js';

const SHAREGPT = 'data/metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv';

const SYNTHETIC = {
  name: 'chat',
  arrival: { process: 'poisson', rate: 3 },
  promptTokens: { dist: 'uniform', min: 10, max: 2000 },
  outputTokens: { dist: 'lognormal', mean: 200, sigma: 1, max: 4000 },
} as const;

function spec(value: object): WorkloadSpec {
  return parseWorkloadSpec(value, { file: 'spec.yaml', field: 'workloads[0]' });
}

function build(value: object, seed = 1, requests = 400): RequestList {
  return buildRequestList(loadWorkload(spec(value), { specDir: ROOT }), { seed, requests });
}

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e.location.field;
    throw e;
  }
  throw new Error('expected an InputError');
}

/** Turns of each session in generation order: session starts ascending, turns by `previous`. */
function sessionsOf(list: RequestList): number[][] {
  const { previous } = list.sessions!;
  const chains: number[][] = [];
  const chainOf = new Int32Array(previous.length);
  for (let i = 0; i < previous.length; i++) {
    if (previous[i] < 0) {
      chainOf[i] = chains.length;
      chains.push([i]);
    } else {
      chainOf[i] = chainOf[previous[i]];
      chains[chainOf[i]].push(i);
    }
  }
  return chains;
}

describe('sessions spec', () => {
  it('accepts an integer, fixed, uniform or geometric number of turns on lengths and synthetic sources', () => {
    for (const turns of [
      3,
      { dist: 'fixed', value: 2 },
      { dist: 'uniform', min: 1, max: 8 },
      { dist: 'geometric', mean: 4 },
    ]) {
      expect(spec({ ...SYNTHETIC, sessions: { turns, thinkTimeS: 5 } }).sessions?.turns).toEqual(turns);
    }
    const lengths = { name: 'len', lengths: { path: SHAREGPT }, arrival: SYNTHETIC.arrival };
    expect(spec({ ...lengths, sessions: { turns: 2, thinkTimeS: 0 } }).sessions?.thinkTimeS).toBe(0);
  });

  it('refuses bad turns or think times, naming the field under sessions', () => {
    const bad = (sessions: object) => fieldOf(() => spec({ ...SYNTHETIC, sessions }));
    expect(bad({ turns: 0, thinkTimeS: 1 })).toMatch(/^workloads\[0\]\.sessions\.turns/);
    expect(bad({ turns: { dist: 'uniform', min: 5, max: 2 }, thinkTimeS: 1 })).toMatch(/sessions\.turns/);
    expect(bad({ turns: { dist: 'geometric', mean: 0.5 }, thinkTimeS: 1 })).toMatch(/sessions\.turns/);
    expect(bad({ turns: 2, thinkTimeS: -1 })).toBe('workloads[0].sessions.thinkTimeS');
    expect(bad({ turns: 2 })).toBe('workloads[0].sessions.thinkTimeS');
    expect(bad({ turns: 2, thinkTimeS: 1, extra: 1 })).toBe('workloads[0].sessions.extra');
  });

  it('refuses sessions on a trace or a typed mix, and with sharedPrefix, at sessions', () => {
    const sessions = { turns: 2, thinkTimeS: 1 };
    const trace = { name: 't', trace: { path: 'x.csv', format: 'azure' }, sessions };
    const types = { name: 'ty', types: [{ prompt: 10, output: 10, rate: 1 }], sessions };
    const shared = { ...SYNTHETIC, sessions, sharedPrefix: { prompts: 2, tokens: 100, fraction: 0.5 } };
    for (const value of [trace, types, shared]) {
      expect(fieldOf(() => spec(value))).toBe('workloads[0].sessions');
    }
  });
});

describe('multi-turn request lists', () => {
  const sessions = { turns: { dist: 'uniform', min: 1, max: 6 }, thinkTimeS: 4 };

  it('grows each prompt by the previous prompt, its output and a new message drawn as the prompts are', () => {
    const list = build({ ...SYNTHETIC, sessions });
    const { previous, thinkTime } = list.sessions!;
    validateSessions(list.sessions!, 400);
    let followUps = 0;
    for (let i = 0; i < 400; i++) {
      const p = previous[i];
      if (i > 0) expect(list.arrival[i]).toBeGreaterThanOrEqual(list.arrival[i - 1]);
      if (p < 0) {
        expect(thinkTime[i]).toBe(0);
        expect(list.promptTokens[i]).toBeGreaterThanOrEqual(10);
        expect(list.promptTokens[i]).toBeLessThanOrEqual(2000);
        continue;
      }
      followUps++;
      expect(p).toBeLessThan(i);
      const message = list.promptTokens[i] - list.promptTokens[p] - list.outputTokens[p];
      expect(message).toBeGreaterThanOrEqual(10);
      expect(message).toBeLessThanOrEqual(2000);
      // Placeholder arrival: the previous turn's plus the think time (service taking no time).
      expect(list.arrival[i]).toBe(list.arrival[p] + thinkTime[i]);
      expect(thinkTime[i]).toBeGreaterThanOrEqual(0);
    }
    expect(followUps).toBeGreaterThan(200);
  });

  it('gives each turn the ids of its session stream: a follow-up starts with its previous turn ids', () => {
    const list = build({ ...SYNTHETIC, sessions });
    const pb = list.prefixBlocks!;
    expect(pb.blockTokens).toBe(SESSION_BLOCK_TOKENS);
    validatePrefixBlocks(pb, list.promptTokens);
    const idsOf = (i: number) => [...pb.ids.subarray(pb.offsets[i], pb.offsets[i + 1])];
    const owner = new Map<number, number>();
    for (const [s, turns] of sessionsOf(list).entries()) {
      for (const i of turns) {
        const ids = idsOf(i);
        expect(ids.length).toBe(Math.ceil(list.promptTokens[i] / SESSION_BLOCK_TOKENS));
        // Ids never repeat across sessions.
        const foreign = ids.filter((id) => (owner.get(id) ?? s) !== s);
        expect(foreign).toEqual([]);
        for (const id of ids) owner.set(id, s);
        const p = list.sessions!.previous[i];
        if (p >= 0) expect(ids.slice(0, pb.offsets[p + 1] - pb.offsets[p])).toEqual(idsOf(p));
      }
    }
  });

  it('draws the messages and outputs of the same workload without sessions, its sessions at rate / mean turns', () => {
    const mean = meanSessionTurns(sessions.turns as { dist: 'uniform'; min: number; max: number });
    expect(mean).toBe(3.5);
    const list = build({ ...SYNTHETIC, sessions }, 5);
    const base = build({ ...SYNTHETIC, arrival: { process: 'poisson', rate: 3 / 3.5 } }, 5);
    const chains = sessionsOf(list);
    const generated = chains.flat();
    const { previous } = list.sessions!;
    generated.forEach((i, k) => {
      const p = previous[i];
      const message =
        p < 0 ? list.promptTokens[i] : list.promptTokens[i] - list.promptTokens[p] - list.outputTokens[p];
      expect(message).toBe(base.promptTokens[k]);
      expect(list.outputTokens[i]).toBe(base.outputTokens[k]);
    });
    chains.forEach((turns, s) => expect(list.arrival[turns[0]]).toBe(base.arrival[s]));
  });

  it('keeps the draws of workloads without sessions (values of the list before sessions existed)', () => {
    const synthetic = build({ ...SYNTHETIC, requests: 6 }, 7, 6);
    expect(synthetic.sessions).toBeUndefined();
    expect(synthetic.prefixBlocks).toBeUndefined();
    expect([...synthetic.arrival]).toEqual([
      0, 0.08518303221967877, 0.23321753314468, 0.7684211549942994, 1.844362341111458, 2.6956670119983617,
    ]);
    expect([...synthetic.promptTokens]).toEqual([1412, 308, 609, 1121, 347, 528]);
    expect([...synthetic.outputTokens]).toEqual([70, 208, 98, 253, 15, 46]);
    const lengths = build(
      { name: 'len', lengths: { path: SHAREGPT }, arrival: { process: 'gamma', rate: 2, cv: 2 } },
      7,
      6,
    );
    expect([...lengths.arrival]).toEqual([
      0, 1.2118607798017815, 1.2119558289296084, 1.7596050968774262, 1.7838576681416116, 2.5155710797355626,
    ]);
    expect([...lengths.promptTokens]).toEqual([35, 3534, 10, 4278, 3811, 34]);
    expect([...lengths.outputTokens]).toEqual([147, 558, 220, 259, 824, 418]);
  });

  it('is the same list for a seed and another for another seed; a lengths source works alike', () => {
    const a = build({ ...SYNTHETIC, sessions }, 3);
    const b = build({ ...SYNTHETIC, sessions }, 3);
    expect(sameArray(a.arrival, b.arrival) && sameArray(a.sessions!.previous, b.sessions!.previous)).toBe(
      true,
    );
    expect(sameArray(a.promptTokens, build({ ...SYNTHETIC, sessions }, 4).promptTokens)).toBe(false);
    const lengths = build(
      { name: 'len', lengths: { path: SHAREGPT }, arrival: SYNTHETIC.arrival, sessions },
      3,
    );
    expect(lengths.sessions!.previous.some((p) => p >= 0)).toBe(true);
  });

  it('fixed turns give sessions of exactly that many turns (the last one cut by N)', () => {
    const list = build({ ...SYNTHETIC, sessions: { turns: 3, thinkTimeS: 1 } }, 1, 100);
    const lengths = sessionsOf(list).map((t) => t.length);
    expect(lengths.slice(0, -1).every((l) => l === 3)).toBe(true);
    expect(lengths.at(-1)).toBe(1); // 100 = 33 x 3 + 1
  });

  it('a think time of 0 puts a follow-up at its previous turn placeholder', () => {
    const list = build({ ...SYNTHETIC, sessions: { turns: 4, thinkTimeS: 0 } }, 1, 40);
    const { previous } = list.sessions!;
    for (let i = 0; i < 40; i++)
      if (previous[i] >= 0) expect(list.arrival[i]).toBe(list.arrival[previous[i]]);
  });

  it('maxTokens is the context window: no turn exceeds it, sessions end where it would be', () => {
    const list = build({ ...SYNTHETIC, maxTokens: 6000, sessions: { turns: 20, thinkTimeS: 1 } }, 2);
    for (let i = 0; i < 400; i++) {
      expect(list.promptTokens[i] + list.outputTokens[i]).toBeLessThanOrEqual(6000);
    }
    const lengths = sessionsOf(list).map((t) => t.length);
    expect(Math.max(...lengths)).toBeLessThan(20);
    validatePrefixBlocks(list.prefixBlocks!, list.promptTokens);
  });

  it('refuses sessions whose prompts outgrow 2^31 - 1 tokens, at sessions.turns', () => {
    const huge = {
      ...SYNTHETIC,
      promptTokens: { dist: 'fixed', value: 2 ** 30 },
      sessions: { turns: 3, thinkTimeS: 1 },
    };
    expect(fieldOf(() => build(huge, 1, 3))).toBe('sessions.turns');
  });

  it('sets the session rate from the request rate, and workloadAtRate scales it the same way', () => {
    const loaded = loadWorkload(spec({ ...SYNTHETIC, sessions: { turns: 4, thinkTimeS: 1 } }), {
      specDir: ROOT,
    });
    expect(nominalRate(loaded)).toBe(3);
    const slow = buildRequestList(loaded, { seed: 1, requests: 4000 });
    const fast = buildRequestList(workloadAtRate(loaded, 6), { seed: 1, requests: 4000 });
    // The same sessions (lengths in generation order); only the interleaving of their turns moves.
    const inOrder = (list: RequestList) => sessionsOf(list).map((t) => t.map((i) => list.promptTokens[i]));
    expect(inOrder(fast)).toEqual(inOrder(slow));
    // 1000 sessions of 4 turns start at 3 / 4 per second.
    const starts = sessionsOf(slow).map((t) => slow.arrival[t[0]]);
    expect(starts.length).toBe(1000);
    expect((starts.length - 1) / starts.at(-1)!).toBeGreaterThan(0.75 * 0.9);
    expect((starts.length - 1) / starts.at(-1)!).toBeLessThan(0.75 * 1.1);
    const fastStarts = sessionsOf(fast).map((t) => fast.arrival[t[0]]);
    fastStarts.forEach((t, s) => expect(t).toBeCloseTo(starts[s] / 2, 9));
  });
});

describe('keeping sessions consistent when a list is cut', () => {
  // Two sessions: 0 -> 2 -> 3 and 1 -> 4.
  const sessions: SessionTurns = {
    previous: Int32Array.from([-1, -1, 0, 2, 1]),
    thinkTime: Float64Array.from([0, 0, 1, 2, 3]),
  };

  it('renumbers the previous turns of the rows kept', () => {
    const kept = selectSessionTurns(sessions, Int32Array.from([0, 1, 2, 4]));
    expect([...kept.previous]).toEqual([-1, -1, 0, 1]);
    expect([...kept.thinkTime]).toEqual([0, 0, 1, 3]);
  });

  it('refuses to keep a turn whose previous turn is left out, naming sessions', () => {
    expect(fieldOf(() => selectSessionTurns(sessions, Int32Array.from([0, 1, 3, 4])))).toBe('sessions');
  });

  it('validateSessions refuses branches, later previous turns and bad think times', () => {
    const check = (previous: number[], think = previous.map(() => 0)) =>
      fieldOf(() =>
        validateSessions(
          { previous: Int32Array.from(previous), thinkTime: Float64Array.from(think) },
          previous.length,
        ),
      );
    expect(check([-1, 0, 0])).toBe('sessions');
    expect(check([1, -1])).toBe('sessions');
    expect(check([-1, 0], [0, -1])).toBe('sessions');
    expect(check([-1, 0], [0, NaN])).toBe('sessions');
    expect(() => validateSessions(sessions, 5)).not.toThrow();
  });

  it('oversize skipping drops a session from its first oversize turn on, keeping ids and sessions aligned', () => {
    const list = build({ ...SYNTHETIC, sessions: { turns: 6, thinkTimeS: 1 } }, 1, 120);
    // Follow-ups only grow, so "prompt + output > limit" is closed under next turns.
    const limit = 3000;
    const drop: number[] = [];
    for (let i = 0; i < 120; i++) if (list.promptTokens[i] + list.outputTokens[i] > limit) drop.push(i);
    expect(drop.length).toBeGreaterThan(0);
    const kept = withoutRequests(list, drop);
    expect(kept.arrival.length).toBe(120 - drop.length);
    validateSessions(kept.sessions!, kept.arrival.length);
    validatePrefixBlocks(kept.prefixBlocks!, kept.promptTokens);
    const { previous } = kept.sessions!;
    for (let i = 0; i < kept.arrival.length; i++) {
      const p = previous[i];
      if (p >= 0) expect(kept.promptTokens[i]).toBeGreaterThan(kept.promptTokens[p] + kept.outputTokens[p]);
    }
  });
});
