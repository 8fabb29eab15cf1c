import type { Page } from 'playwright-core';

/** What one `<canvas data-chart>` of a report shows. */
export interface CanvasReport {
  /** The canvas's `data-chart` attribute, e.g. `latency-e2e:azure-conv`. */
  name: string;
  /** A Chart.js instance is attached (`Chart.getChart(canvas)`). */
  hasChart: boolean;
  /** Datasets of that chart. */
  datasets: number;
  /** Data points over all datasets. */
  points: number;
  /** Pixels of the canvas bitmap with non-zero alpha (drawn). */
  paintedPixels: number;
  /** Size of the canvas bitmap, pixels. */
  width: number;
  height: number;
}

/**
 * Inspects every `canvas[data-chart]` of a page that loaded Chart.js as the global `Chart`:
 * whether a chart is attached, how many datasets and points it has, and how many pixels are
 * painted (non-transparent), in document order.
 */
export async function inspectCharts(page: Page): Promise<CanvasReport[]> {
  // Runs in the page. The project compiles without DOM types, hence the minimal shapes below.
  return page.evaluate((): CanvasReport[] => {
    interface ChartLike {
      data: { datasets: Array<{ data: unknown[] }> };
    }
    interface CanvasLike {
      width: number;
      height: number;
      dataset: Record<string, string | undefined>;
      getContext(
        kind: '2d',
      ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
    }
    const page = globalThis as unknown as {
      document: { querySelectorAll(selector: string): ArrayLike<CanvasLike> };
      Chart?: { getChart(canvas: CanvasLike): ChartLike | undefined };
    };
    return Array.from(page.document.querySelectorAll('canvas[data-chart]')).map((canvas) => {
      const chart = page.Chart?.getChart(canvas);
      const datasets = chart?.data.datasets ?? [];
      const ctx = canvas.getContext('2d');
      let paintedPixels = 0;
      if (ctx && canvas.width > 0 && canvas.height > 0) {
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) paintedPixels += 1;
      }
      return {
        name: canvas.dataset.chart ?? '',
        hasChart: chart !== undefined,
        datasets: datasets.length,
        points: datasets.reduce((sum, d) => sum + d.data.length, 0),
        paintedPixels,
        width: canvas.width,
        height: canvas.height,
      };
    });
  });
}
