import type { TokenModel } from '../engine/token-model.js';
import { fluidEquilibrium } from '../fluid/fluid-equilibrium.js';
import type { PromptType } from '../fluid/prompt-type.js';
import { digestTypes, type DigestBins } from '../metrics/run-digest.js';
import { formatNumber } from './format-number.js';
import type { FluidOverlay, FluidOverlayPoint } from './report-data.js';

/**
 * One rate of a workload: what the fluid benchmark needs from one of its done runs: its declared
 * types or, for any other workload, the output-length bins of its requests (a stored run's digest,
 * or digestBinsOf its requests; digestTypes makes them the same 10 types as requestTypes).
 */
export interface FluidOverlayInput {
  /** The run's total arrival rate, requests per second (> 0). */
  rate: number;
  /**
   * A typed workload's declared types (the workload JSON's `types`); their rates are scaled so
   * that they sum to `rate`. null for any other workload: its output lengths are binned into
   * 10 types (docs/fluid-benchmark.md).
   */
  declared: PromptType[] | null;
  /** The run's request count and output-length bins (runner/metrics/run-digest.ts). */
  bins: DigestBins;
  /**
   * Replicas that served the run (its policy entry's `replicas`); absent means 1. With N
   * replicas the bound is N times one replica's at rate / N (perfect balance: no router does
   * better, since each replica is a fluid system of its own).
   */
  replicas?: number;
}

/**
 * The linear iteration-time model tau = d0 + d1 (KV tokens) + d2 (prefill tokens) the fluid
 * benchmark uses (the sweep's machine JSON `linear`).
 */
export interface FluidMachine {
  /** Fixed iteration overhead, seconds. */
  d0: number;
  /** Seconds per KV token in the batch. */
  d1: number;
  /** Seconds per prompt token prefilled in the batch; absent or null means 0 (the paper's model). */
  d2?: number | null;
  /** false when the machine's own model is not linear and this is its linear fit. */
  exact: boolean;
}

/** Relative spread of the per-rate limits above which the note says they differ. */
const LIMIT_SPREAD = 0.01;

/**
 * The fluid-benchmark overlay of one workload (arXiv 2504.11320v2 §3, fluidEquilibrium): per rate the
 * type mix (declared types scaled to the rate, or binned output lengths of that rate's
 * requests, from its digest), its Throughput* = sum_j lambda_j l'_j, M*, load and stability; the line drawn is
 * Throughput* while the rate is stable and the mix's Throughput* at its stability limit (the most
 * it can sustain) beyond. The workload's limit is the one of the mix at the highest rate (mixes
 * of a rate sweep normally share their proportions; the note says when they do not).
 *
 * @param inputs one entry per rate (any order; duplicate rates keep the first), all with the same
 *   `replicas` (for N > 1 the overlay is N replicas' under perfect balance; see FluidOverlayInput)
 * @param machine the linear model tau = d0 + d1 (KV tokens) + d2 (prefill tokens)
 * @param tokenModel the sweep's token model (iterations and mean KV per request)
 * @returns the overlay, points ascending by rate; null when `inputs` is empty
 * @throws RangeError from digestTypes / fluidEquilibrium for a run without
 *   requests or malformed types, or for inputs that differ in replicas
 */
export function fluidOverlay(
  inputs: readonly FluidOverlayInput[],
  machine: FluidMachine,
  tokenModel: TokenModel,
): FluidOverlay | null {
  const byRate = new Map<number, FluidOverlayInput>();
  for (const input of inputs) if (!byRate.has(input.rate)) byRate.set(input.rate, input);
  const sorted = [...byRate.values()].sort((a, b) => a.rate - b.rate);
  if (sorted.length === 0) return null;

  const limits: (number | null)[] = []; // per point; null: no limit (d1 = d2 = 0)
  const d2 = machine.d2 ?? 0;
  const replicas = sorted[0].replicas ?? 1;
  if (sorted.some((input) => (input.replicas ?? 1) !== replicas)) {
    throw new RangeError('fluidOverlay: the inputs differ in replicas; one overlay bounds one cluster size');
  }
  const points = sorted.map((input): FluidOverlayPoint => {
    // Each of N replicas sees rate / N under perfect balance; the cluster's rates are N times its.
    const perReplica = input.rate / replicas;
    const types = input.declared
      ? scaleTypes(input.declared, perReplica)
      : digestTypes(input.bins, perReplica);
    const f = fluidEquilibrium(types, machine.d0, machine.d1, tokenModel, d2);
    const bounded = Number.isFinite(f.maxStableRateRps);
    limits.push(bounded ? f.maxStableRateRps * replicas : null);
    return {
      rate: input.rate,
      throughputStarTokS: f.throughputStarTokS * replicas,
      maxThroughputTokS: bounded ? f.maxThroughputTokS * replicas : null,
      lineTokS: (f.stable || !bounded ? f.throughputStarTokS : f.maxThroughputTokS) * replicas,
      mStarTokens: f.mStarTokens,
      load: f.load,
      stable: f.stable,
    };
  });
  const limit = limits[limits.length - 1];
  const limitThroughput = points[points.length - 1].maxThroughputTokS;
  const declared = sorted.every((input) => input.declared !== null);
  return {
    points,
    maxStableRateRps: limit,
    maxThroughputTokS: limitThroughput,
    types: declared ? 'declared' : 'binned',
    note:
      overlayNote(declared, machine, tokenModel, limit, limitThroughput, limits) +
      (replicas > 1
        ? ` For ${replicas} replicas: ${replicas} times one replica's bound at rate / ${replicas} (perfect ` +
          'balance, which no router exceeds); M* is per replica.'
        : ''),
  };
}

/** Declared types with their rates scaled to sum to `rate`. */
function scaleTypes(declared: readonly PromptType[], rate: number): PromptType[] {
  const total = declared.reduce((sum, t) => sum + t.rate, 0);
  return declared.map((t) => ({ prompt: t.prompt, output: t.output, rate: (t.rate * rate) / total }));
}

function overlayNote(
  declared: boolean,
  machine: FluidMachine,
  tokenModel: TokenModel,
  limit: number | null,
  limitThroughput: number | null,
  limits: (number | null)[],
): string {
  const source = declared
    ? "the workload's declared types"
    : "each rate's requests, output lengths binned into 10 types (arXiv 2504.11320v2 §6.2)";
  const d2 = machine.d2 ?? 0;
  const parts = [
    `Fluid benchmark (arXiv 2504.11320v2 §3) from ${source}, token model ${tokenModel}, ` +
      `d0 = ${Number(machine.d0.toPrecision(4))} s, d1 = ${Number(machine.d1.toPrecision(4))} s per KV token` +
      (d2 !== 0 ? `, d2 = ${Number(d2.toPrecision(4))} s per prefilled prompt token.` : '.'),
  ];
  if (limit !== null && limitThroughput !== null) {
    parts.push(
      `Dashed grey line: Throughput* = sum of lambda_j l'_j while the load is below 1, and beyond the ` +
        `stability limit of ${formatNumber(limit)} req/s (a vertical line where the axis reaches it) ` +
        `the most the mix can sustain, ${formatNumber(limitThroughput)} tok/s.`,
    );
    const finite = limits.filter((x): x is number => x !== null);
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    if (hi - lo > LIMIT_SPREAD * lo) {
      parts.push(
        `The limit differs between rates (${formatNumber(lo)} to ${formatNumber(hi)} req/s: their type mixes ` +
          'differ); the vertical line is the one at the highest rate.',
      );
    }
  } else {
    parts.push(
      "Dashed grey line: Throughput* = sum of lambda_j l'_j; with d1 = d2 = 0 there is no stability limit.",
    );
  }
  if (!machine.exact) {
    parts.push("The machine's iteration time is not linear: the overlay uses its linear fit.");
  }
  return parts.join(' ');
}
