import type { RunRow } from '../store/run-row.js';
import type { Store } from '../store/store.js';
import { InputError } from '../errors.js';
import { REPORT_MAX_SAMPLES } from './html-report.js';
import { downsampleSamples } from './empirical-cdf.js';
import type { ReportData, ReportRun } from './report-data.js';

/** A stored run as the report and table code see it. */
export function toReportRun(row: RunRow): ReportRun {
  return {
    id: row.id,
    sweepId: row.sweepId,
    workload: row.workload,
    policy: row.policy,
    params: row.params,
    seed: row.seed,
    rate: row.rate,
    machine: row.machine,
    status: row.status,
    error: row.error,
    metrics: row.metrics,
  };
}

/**
 * Assembles everything a sweep report shows from the store: the sweep's spec and machine, all
 * its runs, and per done run the TTFT and E2E samples of completed requests (downsampled to
 * REPORT_MAX_SAMPLES evenly spaced order statistics).
 * @throws InputError when the sweep does not exist
 */
export function loadReportData(store: Store, sweepId: number): ReportData {
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw new InputError(`no sweep with id ${sweepId} in ${store.file}`, { field: 'ID' });
  const rows = store.listRuns({ sweepId });
  const distributions: ReportData['distributions'] = {};
  for (const row of rows) {
    if (row.status !== 'done') continue;
    const r = store.getRequestRecords(row.id);
    const ttft: number[] = [];
    const e2e: number[] = [];
    for (let i = 0; i < r.arrival.length; i++) {
      if (Number.isNaN(r.finish[i])) continue;
      ttft.push(r.firstToken[i] - r.arrival[i]);
      e2e.push(r.finish[i] - r.arrival[i]);
    }
    distributions[row.id] = {
      ttft: downsampleSamples(ttft, REPORT_MAX_SAMPLES),
      e2e: downsampleSamples(e2e, REPORT_MAX_SAMPLES),
    };
  }
  const machine = JSON.parse(sweep.machineJson) as {
    name: string;
    description: string;
    kvCapacityBlocks: number;
    blockSize: number;
    iterationTime: Record<string, string | number>;
  };
  return {
    title: `Schedbench sweep ${sweep.id}: ${sweep.name}`,
    generatedAt: new Date().toISOString(),
    sweep: { id: sweep.id, name: sweep.name, specYaml: sweep.specYaml, createdAt: sweep.createdAt },
    machine: {
      name: machine.name,
      description: machine.description,
      details: {
        'KV capacity (blocks)': machine.kvCapacityBlocks,
        'block size (tokens)': machine.blockSize,
        'KV capacity (tokens)': machine.kvCapacityBlocks * machine.blockSize,
        ...Object.fromEntries(
          Object.entries(machine.iterationTime).map(([k, v]) => [`iteration time: ${k}`, v]),
        ),
      },
    },
    runs: rows.map(toReportRun),
    distributions,
  };
}
