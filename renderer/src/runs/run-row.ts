import type { RunSummary } from '../../../runner/api/api-contract.js';
import { formatDate, formatParams } from '../format.js';

/** The metrics the runs table shows, in column order: metric key, column title. */
export const KEY_METRICS = [
  { key: 'throughput_tok_s', title: 'Throughput (tok/s)' },
  { key: 'ttft_p99_s', title: 'TTFT p99 (s)' },
  { key: 'tpot_mean_s', title: 'TPOT mean (s)' },
  { key: 'e2e_p99_s', title: 'E2E p99 (s)' },
  { key: 'evictions', title: 'Evictions' },
] as const;

/** One row of the runs table: a RunSummary flattened for Tabulator (filters and sorters). */
export interface RunRow {
  id: number;
  sweepId: number;
  sweep: string;
  policy: string;
  params: string;
  workload: string;
  rate: number | null;
  seed: number;
  machine: string;
  originHost: string;
  status: RunSummary['status'];
  error: string;
  stable: string;
  /** Creation time as `YYYY-MM-DD HH:MM` (local), which sorts and filters as text. */
  created: string;
  throughput_tok_s: number | null;
  ttft_p99_s: number | null;
  tpot_mean_s: number | null;
  e2e_p99_s: number | null;
  evictions: number | null;
}

/** A run as a row of the runs table. */
export function runRow(run: RunSummary): RunRow {
  const metric = (key: (typeof KEY_METRICS)[number]['key']): number | null => run.metrics?.[key] ?? null;
  return {
    id: run.id,
    sweepId: run.sweepId,
    sweep: `${run.sweepName} (#${run.sweepId})`,
    policy: run.policy,
    params: formatParams(run.params),
    workload: run.workload,
    rate: run.rate,
    seed: run.seed,
    machine: run.machine,
    originHost: run.originHost ?? '',
    status: run.status,
    error: run.error ?? '',
    stable: run.stable === null ? '' : run.stable ? 'yes' : 'no',
    created: formatDate(run.createdAt),
    throughput_tok_s: metric('throughput_tok_s'),
    ttft_p99_s: metric('ttft_p99_s'),
    tpot_mean_s: metric('tpot_mean_s'),
    e2e_p99_s: metric('e2e_p99_s'),
    evictions: metric('evictions'),
  };
}
