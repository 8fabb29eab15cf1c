import type { EngineOutput, PrefixCacheRecords } from './replica-engine.js';
import type { RequestRecords, TimeSeries } from './run-records.js';

/** One replica's share of a cluster run, as the replica counted it. */
export interface ReplicaShare {
  /** Requests routed to it. */
  requests: number;
  /** Of those, completed. */
  completed: number;
  /** Iterations it ran. */
  iterations: number;
  /** Its largest KV usage, blocks. */
  kvPeakBlocks: number;
}

/** The output of a cluster run: the cluster's records and totals, and what each replica took. */
export interface ClusterOutput extends EngineOutput {
  /**
   * Per request, the replica it was routed to; -1 for a request never routed (it arrives after the
   * horizon, or is a session turn never released).
   */
  replicaOf: Int32Array;
  /** Per replica, in replica order. */
  replicas: ReplicaShare[];
}

/** Samples kept in the cluster's merged time series. */
const SERIES_POINTS = 2048;

/** Each request's record from the replica that served it (replica 0's for one never routed). */
function mergeRecords(outputs: readonly EngineOutput[], replicaOf: Int32Array): RequestRecords {
  const first = outputs[0].records;
  const n = replicaOf.length;
  const pick = <T extends Float64Array | Int32Array>(field: (r: RequestRecords) => T): T => {
    const out = field(first).slice() as T;
    for (let i = 0; i < n; i++) {
      const r = replicaOf[i];
      if (r > 0) out[i] = field(outputs[r].records)[i];
    }
    return out;
  };
  const cached = first.cachedTokens;
  return {
    arrival: first.arrival,
    promptTokens: first.promptTokens,
    outputTokens: first.outputTokens,
    firstScheduled: pick((r) => r.firstScheduled),
    firstToken: pick((r) => r.firstToken),
    finish: pick((r) => r.finish),
    generatedTokens: pick((r) => r.generatedTokens),
    evictions: pick((r) => r.evictions),
    preemptions: pick((r) => r.preemptions),
    recomputedTokens: pick((r) => r.recomputedTokens),
    maxItl: pick((r) => r.maxItl),
    ...(cached === undefined ? {} : { cachedTokens: pick((r) => r.cachedTokens!) }),
  };
}

/** The replicas' sampled series merged: at each sample time, each replica's latest sample summed. */
function mergeTimeSeries(series: readonly TimeSeries[]): TimeSeries {
  const events: [number, number, number][] = []; // [t, replica, index]
  series.forEach((s, r) => {
    for (let i = 0; i < s.t.length; i++) events.push([s.t[i], r, i]);
  });
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const stride = Math.max(1, Math.ceil(events.length / SERIES_POINTS));
  const latest = new Int32Array(series.length).fill(-1);
  const rows: number[][] = [];
  for (let k = 0; k < events.length; k++) {
    const [t, r, i] = events[k];
    latest[r] = i;
    if (k % stride !== stride - 1 && k !== events.length - 1) continue;
    const row = [t, 0, 0, 0, 0, 0];
    series.forEach((s, q) => {
      const j = latest[q];
      if (j < 0) return;
      row[1] += s.queueLength[j];
      row[2] += s.running[j];
      row[3] += s.kvBlocks[j];
      row[4] += s.prefillTokens[j];
      row[5] += s.decodeCount[j];
    });
    rows.push(row);
  }
  return {
    t: Float64Array.from(rows, (row) => row[0]),
    queueLength: Int32Array.from(rows, (row) => row[1]),
    running: Int32Array.from(rows, (row) => row[2]),
    kvBlocks: Int32Array.from(rows, (row) => row[3]),
    prefillTokens: Int32Array.from(rows, (row) => row[4]),
    decodeCount: Int32Array.from(rows, (row) => row[5]),
  };
}

/**
 * The cluster's output from its replicas' (see simulateCluster for the totals): each request's
 * records from the replica that served it, the totals summed, the time series merged.
 * @param outputs each replica's output (ReplicaEngine.routedOutput), in replica order
 * @param replicaOf per request, its replica; -1 for one never routed
 * @param counts per replica, the requests routed to it and completed there, as it counted them
 */
export function mergeClusterOutputs(
  outputs: readonly EngineOutput[],
  replicaOf: Int32Array,
  counts: readonly { requests: number; completed: number }[],
): ClusterOutput {
  const records = mergeRecords(outputs, replicaOf);
  const totals = outputs.map((o) => o.totals);
  const sum = (f: (t: EngineOutput['totals']) => number): number => totals.reduce((a, t) => a + f(t), 0);
  const warnings = new Map<string, number>();
  for (const o of outputs) for (const w of o.warnings) warnings.set(w, (warnings.get(w) ?? 0) + 1);
  const replicas: ReplicaShare[] = outputs.map((o, r) => ({
    requests: counts[r].requests,
    completed: counts[r].completed,
    iterations: o.totals.iterations,
    kvPeakBlocks: o.totals.kvPeakBlocks,
  }));
  const prefixCaches = outputs.map((o) => o.prefixCache);
  let prefixCache: PrefixCacheRecords | undefined;
  if (prefixCaches[0] !== undefined) {
    const pick = (field: (p: PrefixCacheRecords) => Int32Array): Int32Array => {
      const out = field(prefixCaches[0]!).slice();
      for (let i = 0; i < replicaOf.length; i++)
        if (replicaOf[i] > 0) out[i] = field(prefixCaches[replicaOf[i]]!)[i];
      return out;
    };
    prefixCache = {
      cachedTokens: records.cachedTokens!,
      readmissionCachedTokens: pick((p) => p.readmissionCachedTokens),
      admissions: pick((p) => p.admissions),
    };
  }
  return {
    records,
    timeSeries: mergeTimeSeries(outputs.map((o) => o.timeSeries)),
    totals: {
      iterations: sum((t) => t.iterations),
      batchRequests: sum((t) => t.batchRequests),
      kvPeakBlocks: sum((t) => t.kvPeakBlocks),
      kvBlockSeconds: sum((t) => t.kvBlockSeconds),
      startS: Math.min(...totals.map((t) => t.startS)),
      endS: Math.max(...totals.map((t) => t.endS)),
      kvCapacityBlocks: sum((t) => t.kvCapacityBlocks),
    },
    warnings: [...warnings].map(([text, count]) => (count > 1 ? `${text} (on ${count} replicas)` : text)),
    ...(prefixCache === undefined ? {} : { prefixCache }),
    replicaOf,
    replicas,
  };
}
