import { clusterOf } from '../schedulers/cluster-fields.js';
import type { SweepPlan } from './sweep-plan.js';

/**
 * The cluster sizes a plan's runs and capacity searches use: their policy entries' `replicas`
 * (clusterOf), distinct, ascending; [1] when every policy runs on one replica, [] for a plan with
 * neither runs nor searches. A fluid bound of one replica holds N times over for N replicas.
 */
export function planClusterSizes(plan: Pick<SweepPlan, 'runs' | 'searches'>): number[] {
  const sizes = new Set([...plan.runs, ...plan.searches].map((r) => clusterOf(r.policy).replicas));
  return [...sizes].sort((a, b) => a - b);
}
