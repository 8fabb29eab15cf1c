/**
 * The colors of the HTML report (runner/reports/), so that a policy has the same color in the app
 * and in an exported report: Tableau 10 per label in the order given, then hues spaced by the
 * golden angle (policyColors); the fluid-benchmark line in grey.
 */
export { policyColors as seriesColors } from '../../../runner/reports/policy-colors.js';

/** Color of the fluid-benchmark line (the report's FLUID_COLOR, runner/reports/report-charts.ts). */
export const FLUID_COLOR = '#555555';
