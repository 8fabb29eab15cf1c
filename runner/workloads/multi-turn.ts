/**
 * Multi-turn sessions (the workload field `sessions`, workload-spec.ts): requests come in
 * conversations. Turn i + 1's prompt is turn i's prompt, turn i's answer (its output tokens) and a
 * new user message; it is sent a think time after turn i's answer is complete. The turns of one
 * session are therefore closed-loop (turn i + 1 never starts before turn i finishes) while the
 * sessions themselves arrive open-loop, as the workload's arrival process. This is the pattern of
 * chat serving that prefix caching exploits across turns (vLLM docs, "Automatic Prefix Caching":
 * long multi-round conversations; Zheng et al., "SGLang", arXiv 2312.07104, multi-turn chat), and
 * the closed-loop clients of vLLM's multi-turn benchmark
 * (`benchmarks/multi_turn/benchmark_serving_multi_turn.py`: a client sends a conversation's next
 * turn after the previous answer, optionally after a delay).
 *
 * The list: every turn is one request; `RequestList.sessions` (SessionTurns) names each turn's
 * previous turn and its think time. A follow-up turn's `arrival` is a placeholder lower bound: its
 * session's start plus the think times of its earlier turns, as if service took no time, so the
 * list stays sorted; the engine (runner/engine/cluster-engine.ts) releases it at the later of that
 * and (previous turn's finish + think time). Request ids are in placeholder order.
 *
 * Prefix identity (`prefix-blocks.ts`): a session's conversation is one token stream (message 1,
 * answer 1, message 2, answer 2, ...); each {@link SESSION_BLOCK_TOKENS}-token block of it has an
 * id of its own (ids never repeat across sessions), and a turn's prefix blocks are the ids of the
 * stream blocks its prompt covers. Turn i + 1's leading ids are therefore turn i's, and its ids
 * past turn i's prompt describe turn i's answer, which lets the engine cache the blocks turn i's
 * output filled (engine-prefix-cache.ts). Any engine block size works: only turns of one session
 * share ids, and they share the stream's tokens exactly.
 *
 * Randomness: the new messages and outputs are the workload's prompt and output draws, in order
 * (draw k is the k-th turn generated, sessions one after the other), and the session starts are
 * the arrival process's draws at the session rate; the turns per session and the think times have
 * streams of their own (`RandomStream.sessionTurns`, `RandomStream.thinkTimes`), so a workload
 * without `sessions` draws exactly as before.
 */
import { InputError } from '../errors.js';
import { applyMaxTokens } from './max-tokens.js';
import type { PrefixBlocks } from './prefix-blocks.js';
import { createUniform, RandomStream, type Uniform } from './random-streams.js';
import type { RequestList, SessionTurns } from './request-list.js';
import { MAX_TOKEN_COUNT } from './token-count.js';
import { MAX_SESSION_TURNS, type SessionsSpec, type SessionTurnsSpec } from './workload-spec.js';

/** Tokens per prefix block id of a multi-turn list (vLLM's default KV block size). */
export const SESSION_BLOCK_TOKENS = 16;

export type { SessionTurns } from './request-list.js';

/** Most prefix block ids of a multi-turn list (8 bytes each: 2 GiB). */
export const MAX_SESSION_IDS = 2 ** 28;

/**
 * Checks a list's sessions: columns as long as the list, each previous turn an earlier request,
 * no session that branches, think times finite and >= 0.
 * @param sessions the list's sessions
 * @param n the list's requests
 * @throws InputError naming field `sessions` and the request otherwise
 */
export function validateSessions(sessions: SessionTurns, n: number): void {
  const fail = (message: string): never => {
    throw new InputError(`sessions: ${message}`, { field: 'sessions' });
  };
  const { previous, thinkTime } = sessions;
  if (previous.length !== n || thinkTime.length !== n) {
    fail(
      `previous has ${previous.length} and thinkTime ${thinkTime.length} entries for a list of ${n} requests`,
    );
  }
  const taken = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = previous[i];
    if (!(p >= -1 && p < i)) {
      fail(`request #${i}'s previous turn is ${p}; it must be an earlier request (0..${i - 1}) or -1`);
    }
    if (p >= 0) {
      if (taken[p] === 1) fail(`request #${p} is the previous turn of two requests; a session is a chain`);
      taken[p] = 1;
    }
    const think = thinkTime[i];
    if (!(think >= 0 && Number.isFinite(think))) {
      fail(`request #${i}'s think time is ${think}; it must be a finite number of seconds >= 0`);
    }
  }
}

/**
 * Each request's next turn in its session: the inverse of `previous`.
 * @param sessions valid sessions ({@link validateSessions})
 * @returns per request, the index of the turn whose previous turn it is, or -1 (a session's last turn)
 */
export function sessionSuccessors(sessions: SessionTurns): Int32Array {
  const next = new Int32Array(sessions.previous.length).fill(-1);
  for (let i = 0; i < next.length; i++) {
    const p = sessions.previous[i];
    if (p >= 0) next[p] = i;
  }
  return next;
}

/**
 * The sessions of some requests of a list, in the order given (a filter or a cut of the list):
 * request k of the result is request rows[k], its previous turn renumbered. A session cannot lose
 * a turn and keep a later one: the later turn's prompt holds the lost turn's answer, and its release
 * waits for that turn to finish.
 * @param sessions the list's sessions
 * @param rows request indices into the list, ascending, no repeats
 * @returns new arrays
 * @throws InputError naming field `sessions` when a kept turn's previous turn is left out
 * @throws RangeError when rows are not ascending
 */
export function selectSessionTurns(sessions: SessionTurns, rows: Int32Array): SessionTurns {
  const n = sessions.previous.length;
  const newIndex = new Int32Array(n).fill(-1);
  const previous = new Int32Array(rows.length);
  const thinkTime = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    if (k > 0 && !(i > rows[k - 1])) throw new RangeError('selectSessionTurns: rows must be ascending');
    newIndex[i] = k;
    const p = sessions.previous[i];
    if (p >= 0 && newIndex[p] < 0) {
      throw new InputError(
        `sessions: request #${i} is kept but its previous turn, request #${p}, is left out; a ` +
          "session's turns are left out from a turn on, never one in the middle",
        { field: 'sessions' },
      );
    }
    previous[k] = p < 0 ? -1 : newIndex[p];
    thinkTime[k] = sessions.thinkTime[i];
  }
  return { previous, thinkTime };
}

/**
 * The mean turns per session of a `sessions.turns` spec (exact; for `geometric`, the mean of the
 * draws capped at MAX_SESSION_TURNS: (1 - (1 - p)^cap) / p).
 * @returns turns, >= 1
 */
export function meanSessionTurns(turns: SessionTurnsSpec): number {
  if (typeof turns === 'number') return turns;
  switch (turns.dist) {
    case 'fixed':
      return turns.value;
    case 'uniform':
      return (turns.min + turns.max) / 2;
    case 'geometric': {
      const p = 1 / turns.mean;
      return p >= 1 ? 1 : -Math.expm1(MAX_SESSION_TURNS * Math.log1p(-p)) / p;
    }
  }
}

/**
 * One session's turns from one uniform draw u in [0, 1): fixed T; uniform min + floor(u x (max -
 * min + 1)); geometric 1 + floor(ln(1 - u) / ln(1 - p)), capped at MAX_SESSION_TURNS.
 */
function drawTurns(turns: SessionTurnsSpec, u: number): number {
  if (typeof turns === 'number') return turns;
  switch (turns.dist) {
    case 'fixed':
      return turns.value;
    case 'uniform':
      return Math.min(turns.min + Math.floor(u * (turns.max - turns.min + 1)), turns.max);
    case 'geometric': {
      const p = 1 / turns.mean;
      if (p >= 1) return 1;
      const t = 1 + Math.floor(Math.log1p(-u) / Math.log1p(-p));
      return Math.min(t, MAX_SESSION_TURNS);
    }
  }
}

/** The two seeded streams of a run's sessions (random-streams.ts). */
export interface SessionUniforms {
  /** One draw per session: its turns. */
  readonly turns: Uniform;
  /** One draw per follow-up turn: its think time. */
  readonly thinkTimes: Uniform;
}

/**
 * Creates the session streams of one run: `RandomStream.sessionTurns` and `RandomStream.thinkTimes`.
 * @param seed run seed, an integer in 0..MAX_SEED (2^32 - 1)
 * @throws InputError naming field `seed` when the seed is not an integer in range
 */
export function createSessionUniforms(seed: number): SessionUniforms {
  return {
    turns: createUniform(seed, RandomStream.sessionTurns),
    thinkTimes: createUniform(seed, RandomStream.thinkTimes),
  };
}

/**
 * Turns a base list into multi-turn sessions (see the file comment).
 *
 * Generation, sessions one after the other until n turns exist (the last session may be cut
 * short): session s starts at base arrival s and has T_s turns (one `turns` draw). Turn j takes the
 * next base draw k (message m_k = base prompt k, output o_k = base output k): turn 0's prompt is
 * m_k; turn j >= 1's prompt is P_{j-1} + O_{j-1} + m_k and its think time is an exponential draw
 * of mean `thinkTimeS` (-ln(1 - u) x thinkTimeS). Placeholder arrival: the session's start plus
 * its think times so far. The turns are then sorted by placeholder arrival (ties in generation
 * order, so a turn's previous turn always has a smaller index).
 *
 * With `maxTokens` M (the context window): a first turn with m + o > M is shrunk by Vidur's rule
 * (max-tokens.ts); a follow-up with prompt + output > M is not sent and its session ends there
 * (the base draw goes to the next session's turn), as a conversation ends when its context is full.
 *
 * @param base the base list of n requests: arrivals from the process at the session rate (its
 *   first S entries start the S sessions), prompt and output draws; without `prefixBlocks`,
 *   `typeIndex` or `sessions`; not modified
 * @param spec the validated `sessions` field
 * @param uniforms the run's session streams ({@link createSessionUniforms})
 * @param maxTokens the workload's `maxTokens`, or undefined
 * @returns a new list of n requests, sorted by placeholder arrival, with `sessions` and
 *   `prefixBlocks` (blockTokens {@link SESSION_BLOCK_TOKENS}; a turn has ceil(prompt / 16) ids)
 * @throws InputError naming field `sessions.turns` when a session's prompt plus output grows past
 *   2^31 - 1 tokens, or the prompts hold more than {@link MAX_SESSION_IDS} block ids (give
 *   `maxTokens`); Error when `base` has prefix blocks, types or sessions (a
 *   programming error: only generated sources take `sessions`)
 */
export function applySessions(
  base: RequestList,
  spec: SessionsSpec,
  uniforms: SessionUniforms,
  maxTokens?: number,
): RequestList {
  if (base.prefixBlocks !== undefined || base.typeIndex !== undefined || base.sessions !== undefined) {
    throw new Error('sessions apply to generated lists without prefix blocks, types or sessions');
  }
  const n = base.arrival.length;
  // Generation order g = 0..n-1.
  const prompt = new Int32Array(n);
  const output = new Int32Array(n);
  const placeholder = new Float64Array(n);
  const think = new Float64Array(n);
  const previous = new Int32Array(n);
  const idBase = new Float64Array(n);
  let g = 0; // the next turn generated, and the base draw it takes
  let session = 0;
  let nextId = 0;
  while (g < n) {
    const turns = drawTurns(spec.turns, uniforms.turns());
    let t = base.arrival[session++];
    for (let j = 0; j < turns && g < n; j++) {
      let p = base.promptTokens[g];
      const o = base.outputTokens[g];
      if (j === 0) {
        prompt[g] = p;
        output[g] = o;
        if (maxTokens !== undefined) {
          applyMaxTokens(prompt.subarray(g, g + 1), output.subarray(g, g + 1), maxTokens);
        }
        previous[g] = -1;
      } else {
        p += prompt[g - 1] + output[g - 1];
        if (maxTokens !== undefined && p + o > maxTokens) break;
        if (p + o > MAX_TOKEN_COUNT) {
          throw new InputError(
            `sessions.turns: turn ${j + 1} of a session has a prompt of ${p} and an output of ${o} ` +
              `tokens, past ${MAX_TOKEN_COUNT}; fewer turns, or \`maxTokens\` to end sessions whose ` +
              'context is full',
            { field: 'sessions.turns' },
          );
        }
        prompt[g] = p;
        output[g] = o;
        think[g] = -Math.log1p(-uniforms.thinkTimes()) * spec.thinkTimeS;
        t += think[g];
        previous[g] = g - 1;
      }
      placeholder[g] = t;
      idBase[g] = nextId;
      g++;
    }
    nextId += Math.ceil((prompt[g - 1] + output[g - 1]) / SESSION_BLOCK_TOKENS);
  }
  // Sort by placeholder arrival, stable.
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => placeholder[a] - placeholder[b] || a - b,
  );
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[order[i]] = i;
  const arrival = new Float64Array(n);
  const promptTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  const sessions = { previous: new Int32Array(n), thinkTime: new Float64Array(n) };
  let totalIds = 0;
  for (let i = 0; i < n; i++) totalIds += Math.ceil(prompt[i] / SESSION_BLOCK_TOKENS);
  if (totalIds > MAX_SESSION_IDS) {
    throw new InputError(
      `sessions.turns: the sessions' prompts hold ${totalIds} blocks of ${SESSION_BLOCK_TOKENS} ` +
        `tokens, more than the ${MAX_SESSION_IDS} prefix block ids a list may hold; fewer turns, ` +
        'fewer requests, or `maxTokens` to end sessions whose context is full',
      { field: 'sessions.turns' },
    );
  }
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const gi = order[i];
    arrival[i] = placeholder[gi];
    promptTokens[i] = prompt[gi];
    outputTokens[i] = output[gi];
    sessions.previous[i] = previous[gi] < 0 ? -1 : rank[previous[gi]];
    sessions.thinkTime[i] = think[gi];
    offsets[i + 1] = offsets[i] + Math.ceil(prompt[gi] / SESSION_BLOCK_TOKENS);
  }
  const ids = new Float64Array(offsets[n]);
  for (let i = 0; i < n; i++) {
    const from = idBase[order[i]];
    for (let b = offsets[i]; b < offsets[i + 1]; b++) ids[b] = from + (b - offsets[i]);
  }
  const prefixBlocks: PrefixBlocks = { blockTokens: SESSION_BLOCK_TOKENS, offsets, ids };
  return { arrival, promptTokens, outputTokens, prefixBlocks, sessions };
}
