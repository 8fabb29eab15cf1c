/**
 * Tableau 10 palette: distinct hues that stay readable on white and in grayscale print; the
 * default of many plotting tools.
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

/**
 * A color (CSS hex or hsl()) per label, in the order given: the first 10 labels get the Tableau 10
 * palette, later ones hues spaced by the golden angle. The same label list always gives the
 * same colors, so a policy keeps its color across every chart of a report. Duplicate labels
 * keep the color of their first occurrence.
 */
export function policyColors(labels: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  for (const label of labels) {
    if (colors.has(label)) continue;
    const i = colors.size;
    colors.set(label, i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)}, 55%, 45%)`);
  }
  return colors;
}
