/**
 * `npm run paper`: runs every sweep of the paper's experiments into paper.db (resuming what is
 * already done), then writes, per sweep, its HTML report and its seed summary (Markdown: paired
 * verdicts, then mean ± 95 % CI over seeds) to paper-results/. docs/reproduction.md quotes these
 * summaries. Two sets of the same five experiments:
 *
 * - `linear`: examples/paper/, on the paper's linear machine `a100-llama2-7b-linear`;
 * - `profile`: examples/paper-profile/ (`*-profile.yaml`, sweeps named `…-profile`), on the
 *   profile machine `a100-llama2-7b`, with rates adapted to its fluid limit and its saturation.
 *
 * `node dist/bench/paper-experiments.js [linear] [profile] [--jobs N]` runs only the sets named
 * (default: both) with N runs in parallel (default: the number of cores).
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

const SETS = { linear: 'examples/paper', profile: 'examples/paper-profile' } as const;
type SetName = keyof typeof SETS;

const args = process.argv.slice(2);
let jobs = availableParallelism();
const chosen: SetName[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--jobs') {
    jobs = Number(args[++i]);
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new Error(`--jobs needs a positive integer, got ${args[i]}`);
  } else if (Object.hasOwn(SETS, arg)) {
    chosen.push(arg as SetName);
  } else {
    throw new Error(`unknown argument ${arg}: expected ${Object.keys(SETS).join(', ')} or --jobs N`);
  }
}
const sets = chosen.length > 0 ? chosen : (Object.keys(SETS) as SetName[]);

const out = 'paper-results';
mkdirSync(out, { recursive: true });
const store = Store.open('paper.db');
try {
  for (const set of sets) {
    const dir = SETS[set];
    const specs = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(dir, f));
    const setStarted = performance.now();
    for (const spec of specs) {
      const name = basename(spec, '.yaml');
      const started = performance.now();
      const outcome = await executeSweep(planSweep(spec), store, { jobs });
      const seconds = (performance.now() - started) / 1000;
      writeSweepReport(store, outcome.sweepId, join(out, `${name}.html`), 'html');
      writeFileSync(join(out, `${name}.md`), summaryCommand(store, outcome.sweepId, 'markdown'));
      const counts = store.runCounts(outcome.sweepId);
      console.log(
        `${name}: sweep ${outcome.sweepId}, ${counts.done} done, ${counts.failed} failed, ${seconds.toFixed(1)} s`,
      );
    }
    const setSeconds = (performance.now() - setStarted) / 1000;
    console.log(`${set} (${dir}): ${specs.length} sweeps, ${setSeconds.toFixed(0)} s with ${jobs} jobs`);
  }
} finally {
  store.close();
}
