import { FLUID_COLOR } from './report-charts.js';

/**
 * The script a report page runs (plain ES2017, no imports): it reads the chart model (JSON of
 * ReportCharts, see report-charts.ts) from `<script type="application/json" id="report-charts">`
 * and draws every chart with the inlined Chart.js (global `Chart`): one chart per
 * `canvas#<canvasId>`, animation off, min-max whiskers over the seeds of a point, points with
 * unstable runs as crosses, the fluid Throughput* line (a dashed grey dataset; a horizontal tick
 * when it has a single point), vertical lines at the fluid stability limit (inline plugin
 * `fluidLimit`, which records the pixel x of each line it drew in `chart.$fluidLimitDrawn`), a
 * rate selector (`select[data-cdf-group]`) switching the CDFs of a workload, and a resize around
 * printing so charts fit the printed page. Kept as a string so the report is one file; it is
 * exercised by test/browser/report.test.ts.
 */
export const REPORT_CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var Chart = window.Chart;
  var model = JSON.parse(document.getElementById('report-charts').textContent);
  var charts = [];

  Chart.defaults.animation = false;
  Chart.defaults.color = '#222222';
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  Chart.defaults.devicePixelRatio = Math.max(window.devicePixelRatio || 1, 2);

  function fmt(value) {
    if (value === null || value === undefined) return '-';
    var abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e15)) return value.toExponential(3);
    if (Number.isInteger(value) || abs >= 1e4) return String(Math.round(value));
    return String(Number(value.toPrecision(4)));
  }

  // Vertical min-max bars for points that aggregate several seeds (point.n > 1).
  var seedRange = {
    id: 'seedRange',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var area = chart.chartArea;
      chart.data.datasets.forEach(function (dataset, i) {
        if (!chart.isDatasetVisible(i)) return;
        var meta = chart.getDatasetMeta(i);
        var yScale = chart.scales[meta.yAxisID];
        ctx.save();
        ctx.beginPath();
        ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
        ctx.clip();
        ctx.strokeStyle = dataset.borderColor;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([]);
        dataset.data.forEach(function (point, j) {
          var el = meta.data[j];
          if (!el || !point || !(point.n > 1)) return;
          var top = yScale.getPixelForValue(point.max);
          var bottom = yScale.getPixelForValue(point.min);
          ctx.beginPath();
          ctx.moveTo(el.x, top);
          ctx.lineTo(el.x, bottom);
          ctx.moveTo(el.x - 4, top);
          ctx.lineTo(el.x + 4, top);
          ctx.moveTo(el.x - 4, bottom);
          ctx.lineTo(el.x + 4, bottom);
          ctx.stroke();
        });
        ctx.restore();
      });
    },
  };

  // Vertical dashed lines (the fluid stability limit) across the plot area, with a label.
  var fluidLimit = {
    id: 'fluidLimit',
    afterDatasetsDraw: function (chart, args, options) {
      var lines = (options && options.lines) || [];
      var area = chart.chartArea;
      var xScale = chart.scales.x;
      var drawn = [];
      var ctx = chart.ctx;
      lines.forEach(function (line) {
        var x = xScale.getPixelForValue(line.x);
        if (!(x >= area.left - 0.5 && x <= area.right + 0.5)) return;
        ctx.save();
        ctx.strokeStyle = '${FLUID_COLOR}';
        ctx.lineWidth = 1.5;
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = '${FLUID_COLOR}';
        ctx.font = '11px ' + Chart.defaults.font.family;
        var width = ctx.measureText(line.label).width;
        var right = x + 4 + width <= area.right;
        ctx.textAlign = right ? 'left' : 'right';
        ctx.textBaseline = 'top';
        ctx.fillText(line.label, right ? x + 4 : x - 4, area.top + 4);
        ctx.restore();
        drawn.push(x);
      });
      chart.$fluidLimitDrawn = drawn;
    },
  };

  function hasUnstable(p) {
    return p && p.unstable > 0;
  }

  function toDataset(d) {
    if (d.overlay === 'fluid') {
      // One point draws no line (one rate on a category axis): a horizontal tick marks the bound.
      var single = d.points.length === 1;
      return {
        label: d.label,
        data: d.points,
        borderColor: d.color,
        backgroundColor: 'rgba(255, 255, 255, 0)',
        borderDash: [8, 5],
        borderWidth: 2,
        pointStyle: 'line',
        pointBorderWidth: 2.5,
        pointRadius: single ? 14 : 0,
        pointHoverRadius: single ? 14 : 3,
        tension: 0,
        fill: false,
        spanGaps: true,
        order: 10,
      };
    }
    var base = d.dashed ? 'rect' : 'circle';
    var radius = d.markers ? 3 : 0;
    return {
      label: d.label,
      data: d.points,
      borderColor: d.color,
      // Dashed lines get a hollow legend box, so the legend shows the dash.
      backgroundColor: d.dashed ? 'rgba(255, 255, 255, 0)' : d.color,
      borderDash: d.dashed ? [6, 4] : [],
      borderWidth: 2,
      // Points with a run judged unstable: a large hollow cross.
      pointBackgroundColor: d.points.map(function (p) {
        return hasUnstable(p) ? 'rgba(255, 255, 255, 0)' : d.color;
      }),
      pointBorderColor: d.color,
      pointBorderWidth: d.points.map(function (p) {
        return hasUnstable(p) ? 2.5 : 1;
      }),
      pointRadius: d.points.map(function (p) {
        return hasUnstable(p) ? Math.max(radius, 2) * 2.4 : radius;
      }),
      pointHoverRadius: d.markers ? 7 : 3,
      pointStyle: d.points.map(function (p) {
        return hasUnstable(p) ? 'crossRot' : base;
      }),
      tension: 0,
      fill: false,
      spanGaps: true,
    };
  }

  function rangeOf(datasets) {
    var lo = Infinity;
    var hi = -Infinity;
    datasets.forEach(function (d) {
      d.points.forEach(function (p) {
        lo = Math.min(lo, p.min !== undefined ? p.min : p.y);
        hi = Math.max(hi, p.max !== undefined ? p.max : p.y);
      });
    });
    return { lo: lo, hi: hi };
  }

  function config(spec) {
    var isCdf = Boolean(spec.yRange);
    var range = rangeOf(spec.datasets);
    var x = { type: spec.xScale.type, title: { display: true, text: spec.xTitle } };
    if (spec.xScale.type === 'category') x.labels = spec.xScale.labels;
    if (isCdf) x.beginAtZero = true;
    if (spec.xSuggested && spec.xSuggested.min !== undefined) x.suggestedMin = spec.xSuggested.min;
    if (spec.xSuggested && spec.xSuggested.max !== undefined) x.suggestedMax = spec.xSuggested.max;
    var y = { type: 'linear', title: { display: true, text: spec.yTitle }, beginAtZero: true };
    if (isCdf) {
      y.min = spec.yRange.min;
      y.max = spec.yRange.max;
    } else if (isFinite(range.hi)) {
      y.suggestedMax = range.hi;
    }
    return {
      type: 'line',
      data: {
        labels: spec.xScale.type === 'category' ? spec.xScale.labels : undefined,
        datasets: spec.datasets.map(toDataset),
      },
      plugins: [seedRange, fluidLimit],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: { x: x, y: y },
        plugins: {
          title: { display: true, text: spec.title, font: { size: 14, weight: 'bold' } },
          subtitle: { display: Boolean(spec.subtitle), text: spec.subtitle, padding: { bottom: 6 } },
          legend: { position: 'bottom', labels: { boxWidth: 22, boxHeight: 8 } },
          fluidLimit: { lines: spec.xScale.type === 'linear' ? spec.verticalLines || [] : [] },
          tooltip: {
            callbacks: {
              label: function (item) {
                var p = item.raw;
                if (isCdf) return item.dataset.label + ': ' + fmt(p.x) + ' s at ' + fmt(p.y);
                var text = item.dataset.label + ': ' + fmt(p.y);
                if (p.n > 1) text += ' (mean of ' + p.n + ' seeds, range ' + fmt(p.min) + '\u2013' + fmt(p.max) + ')';
                if (hasUnstable(p)) text += p.n > 1 ? '; ' + p.unstable + ' of ' + p.n + ' runs unstable' : '; unstable';
                return text;
              },
            },
          },
        },
      },
    };
  }

  model.workloads.forEach(function (workload) {
    workload.rateCharts.concat(workload.cdfCharts).forEach(function (spec) {
      var canvas = document.getElementById(spec.canvasId);
      if (!canvas) throw new Error('report: no canvas #' + spec.canvasId + ' for chart ' + spec.name);
      charts.push({ spec: spec, chart: new Chart(canvas, config(spec)) });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll('select[data-cdf-group]'), function (select) {
    select.addEventListener('change', function () {
      var group = select.getAttribute('data-cdf-group');
      charts.forEach(function (entry) {
        if (entry.spec.group !== group) return;
        var variant = entry.spec.variants.filter(function (v) {
          return v.key === select.value;
        })[0];
        entry.chart.data.datasets = (variant ? variant.datasets : []).map(toDataset);
        entry.chart.update();
      });
    });
  });

  function resizeAll() {
    charts.forEach(function (entry) {
      entry.chart.resize();
    });
  }
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
  if (window.matchMedia) {
    var print = window.matchMedia('print');
    if (print.addEventListener) print.addEventListener('change', resizeAll);
  }
})();
`;
