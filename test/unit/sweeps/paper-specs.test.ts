import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fluidEquilibrium } from '../../../runner/fluid/fluid-equilibrium.js';
import { requestTypes } from '../../../runner/fluid/request-types.js';
import { planSweep, requestListKey } from '../../../runner/sweeps/sweep-plan.js';

const EXPERIMENTS = [
  'nested-wait-clustered',
  'nested-wait-real-traces',
  'nested-wait-synthetic',
  'wait-high-demand',
  'wait-low-demand',
];

/** The linear machine's set (examples/paper/) and the profile machine's (examples/paper-profile/). */
for (const [folder, suffix, machine] of [
  ['paper', '', 'a100-llama2-7b-linear'],
  ['paper-profile', '-profile', 'a100-llama2-7b'],
] as const) {
  const DIR = fileURLToPath(new URL(`../../../examples/${folder}/`, import.meta.url));
  const specs = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

  describe(`the paper's experiments (examples/${folder}/*.yaml)`, () => {
    it(`exist for every experiment of arXiv 2504.11320v2 §6, on ${machine}`, () => {
      expect(specs.sort()).toEqual(EXPERIMENTS.map((e) => `${e}${suffix}.yaml`));
      for (const file of specs) expect(planSweep(`${DIR}${file}`).machine.name).toBe(machine);
    });

    for (const file of specs) {
      it(`${file}: valid, several seeds, vllm + sarathi + the paper's policy, rates from light load to beyond the fluid limit`, () => {
        const plan = planSweep(`${DIR}${file}`);
        expect(plan.spec.seeds.length).toBeGreaterThanOrEqual(3);
        const policies = new Set(plan.runs.map((r) => r.policy.policy));
        expect(policies.has('vllm') && policies.has('sarathi')).toBe(true);
        expect(policies.has('wait') || policies.has('nested-wait')).toBe(true);
        // The same batch cap for every policy (arXiv 2504.11320v2 §6).
        const caps = new Set(
          plan.runs.map((r) =>
            'maxNumSeqs' in r.policy ? r.policy.maxNumSeqs : 'batchCap' in r.policy ? r.policy.batchCap : 0,
          ),
        );
        expect(caps.size).toBe(1);
        // Per workload: the lowest rate is below half the fluid limit, the highest beyond it.
        const byName = new Map<string, number[]>();
        plan.workloads.forEach((w, i) => {
          const list = plan.requestLists.get(requestListKey(i, plan.spec.seeds[0]))!;
          const declared = w.loaded.kind === 'types' ? [...w.loaded.types] : null;
          const f = fluidEquilibrium(
            requestTypes(list, w.rate, declared).types,
            plan.machine.linear.d0,
            plan.machine.linear.d1,
            plan.spec.tokenModel,
            plan.machine.linear.d2,
          );
          byName.set(w.label, [...(byName.get(w.label) ?? []), w.rate / f.maxStableRateRps]);
        });
        for (const [name, fractions] of byName) {
          expect(Math.min(...fractions), name).toBeLessThan(0.5);
          expect(Math.max(...fractions), name).toBeGreaterThan(1);
        }
      });
    }
  });
}
