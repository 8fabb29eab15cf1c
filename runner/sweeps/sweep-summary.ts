import { InputError } from '../errors.js';
import type { MachineRegistry } from '../machines/machine-registry.js';
import { toReportRun } from '../reports/load-report-data.js';
import { sweepSummaryData, type SweepSummaryData } from '../reports/verdicts.js';
import type { Store } from '../store/store.js';
import { capacityRows, capacityVerdictsOf } from './capacity-report.js';
import { specHasRateSearch } from './rate-search.js';

/**
 * A stored sweep's summary (`schedbench summary`, the API's `sweeps.summary`): the seed summary
 * and paired verdicts of its runs (sweepSummaryData), and for a sweep with capacity searches the
 * capacity verdict of each workload (capacityVerdictsOf over capacityRows, which plans the
 * sweep's spec again). When that spec cannot be planned again here (a trace moved), the capacity
 * verdicts are left out and `notes` says why; everything else is still given.
 *
 * @param registry opens the database for `profile:` and worker machines
 * @throws InputError when the sweep does not exist
 */
export function sweepSummaryOf(
  store: Store,
  sweepId: number,
  registry?: () => MachineRegistry,
): SweepSummaryData {
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw new InputError(`sweep ${sweepId} does not exist`);
  const data = sweepSummaryData(store.listRuns({ sweepId }).map(toReportRun));
  if (!specHasRateSearch(sweep.specJson)) return data;
  try {
    data.verdicts.push(...capacityVerdictsOf(capacityRows(store, sweepId, registry)));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    data.notes.push(`capacity searches not judged: ${e.message}`);
  }
  return data;
}
