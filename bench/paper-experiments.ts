/**
 * `npm run paper`: runs every sweep in examples/paper/ into paper.db (resuming what is already
 * done), then writes, per sweep, its HTML report and its seed summary (Markdown: mean ± 95 % CI
 * over seeds) to paper-results/. docs/reproduction.md quotes these summaries.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeSweepReport } from '../runner/cli/report-command.js';
import { summaryCommand } from '../runner/cli/summary-command.js';
import { Store } from '../runner/store/store.js';
import { executeSweep } from '../runner/sweeps/sweep-executor.js';
import { planSweep } from '../runner/sweeps/sweep-plan.js';

const specs = readdirSync('examples/paper')
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join('examples/paper', f));
const out = 'paper-results';
mkdirSync(out, { recursive: true });
const store = Store.open('paper.db');
try {
  for (const spec of specs) {
    const name = basename(spec, '.yaml');
    const started = performance.now();
    const outcome = await executeSweep(planSweep(spec), store, { jobs: availableParallelism() });
    const seconds = (performance.now() - started) / 1000;
    writeSweepReport(store, outcome.sweepId, join(out, `${name}.html`), 'html');
    writeFileSync(join(out, `${name}.md`), summaryCommand(store, outcome.sweepId, 'markdown'));
    const counts = store.runCounts(outcome.sweepId);
    console.log(
      `${name}: sweep ${outcome.sweepId}, ${counts.done} done, ${counts.failed} failed, ${seconds.toFixed(1)} s`,
    );
  }
} finally {
  store.close();
}
