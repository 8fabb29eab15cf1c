import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Title,
  Tooltip,
} from 'chart.js';

/**
 * Chart.js with only what the renderer draws (line charts on linear or logarithmic axes, decimation, legend,
 * tooltip; bar charts on a category axis for histograms), registered once. `window.Chart` is set so that tests and the developer console can
 * read a chart's data with `Chart.getChart(canvas)`, as they do in the HTML report.
 */
Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  Legend,
  Tooltip,
  Title,
  Decimation,
  BarController,
  BarElement,
  CategoryScale,
);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || 'system-ui, sans-serif';
Chart.defaults.font.size = 11;

(window as unknown as { Chart: typeof Chart }).Chart = Chart;

// Charts redraw at the paper's size when printed (Chart.js docs, "Printing resizable charts").
const resizeAll = (): void => {
  for (const chart of Object.values(Chart.instances)) chart.resize();
};
window.addEventListener('beforeprint', resizeAll);
window.addEventListener('afterprint', resizeAll);

export { Chart };
