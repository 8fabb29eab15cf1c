/**
 * Tableau 10, the palette of the HTML report (runner/reports/policy-colors.ts): distinct hues
 * that stay readable on white and in grayscale print. Copied, not imported: the renderer
 * depends on the API contract only.
 */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** Color of the fluid-benchmark line (the report's FLUID_COLOR). */
export const FLUID_COLOR = '#555555';

/**
 * A color per label in the order given (the report's rule): Tableau 10 first, then hues spaced
 * by the golden angle; a repeated label keeps its first color.
 */
export function seriesColors(labels: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  for (const label of labels) {
    if (colors.has(label)) continue;
    const i = colors.size;
    colors.set(label, i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)}, 55%, 45%)`);
  }
  return colors;
}
