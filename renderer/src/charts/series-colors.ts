/**
 * The colors of the HTML report (runner/reports/), so that a policy has the same color in the app
 * and in an exported report: Tableau 10 per label in the order given, then hues spaced by the
 * golden angle (policyColors); the fluid-benchmark line in grey.
 */
export { policyColors as seriesColors } from '../../../runner/reports/policy-colors.js';

/** Color of the fluid-benchmark line (the report's FLUID_COLOR, runner/reports/report-charts.ts). */
export const FLUID_COLOR = '#555555';

/**
 * One color per policy NAME, the same on every chart and page whatever else is compared: the
 * registered policies (runner/schedulers/policy-spec.ts) get fixed Tableau 10 colors; any other
 * name a hue of its own derived from the name (never grey: grey is the fluid bound).
 */
export const POLICY_COLORS: Readonly<Record<string, string>> = {
  vllm: '#4e79a7',
  sarathi: '#f28e2b',
  fcfs: '#e15759',
  'vllm-v1': '#76b7b2',
  wait: '#59a14f',
  'nested-wait': '#b07aa1',
  'mc-sf': '#9c755f',
};

/** The color of a policy by its name (POLICY_COLORS, else a hue hashed from the name). */
export function policyColor(policy: string): string {
  const known = POLICY_COLORS[policy];
  if (known) return known;
  let hash = 0;
  for (const c of policy) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) >>> 0;
  return `hsl(${Math.round((hash * 137.508) % 360)}, 55%, 42%)`;
}

/**
 * Dash patterns, one per machine in the order the machines are listed (solid first): with one
 * machine every line is solid.
 */
const DASHES: readonly (readonly number[])[] = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [12, 6]];

/** The dash pattern of the `index`-th machine (Chart.js `borderDash`; [] is solid). */
export function machineDash(index: number): number[] {
  return [...DASHES[((index % DASHES.length) + DASHES.length) % DASHES.length]];
}

/**
 * Marker shapes (Chart.js `pointStyle`) telling apart the configurations of one policy and machine
 * (its parameter variants, workloads), which share their color and dash.
 */
export const VARIANT_MARKERS = [
  'circle',
  'triangle',
  'rect',
  'rectRot',
  'star',
  'crossRot',
  'rectRounded',
] as const;

/** The marker of a policy's `index`-th variant. */
export function variantMarker(index: number): (typeof VARIANT_MARKERS)[number] {
  return VARIANT_MARKERS[index % VARIANT_MARKERS.length];
}
