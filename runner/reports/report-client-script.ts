/**
 * The script a report page runs (plain ES2017, no imports): it reads the chart model (JSON of
 * ReportCharts, see report-charts.ts) from `<script type="application/json" id="report-charts">`
 * and draws every chart with the inlined Chart.js (global `Chart`): one chart per
 * `canvas#<canvasId>`, animation off, min-max whiskers over the seeds of a point, a rate
 * selector (`select[data-cdf-group]`) switching the CDFs of a workload, and a resize around
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

  function toDataset(d) {
    return {
      label: d.label,
      data: d.points,
      borderColor: d.color,
      // Dashed lines get a hollow legend box, so the legend shows the dash.
      backgroundColor: d.dashed ? 'rgba(255, 255, 255, 0)' : d.color,
      pointBackgroundColor: d.color,
      borderDash: d.dashed ? [6, 4] : [],
      borderWidth: 2,
      pointRadius: d.markers ? 3 : 0,
      pointHoverRadius: d.markers ? 5 : 3,
      pointStyle: d.dashed ? 'rect' : 'circle',
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
      plugins: [seedRange],
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
          tooltip: {
            callbacks: {
              label: function (item) {
                var p = item.raw;
                if (isCdf) return item.dataset.label + ': ' + fmt(p.x) + ' s at ' + fmt(p.y);
                var text = item.dataset.label + ': ' + fmt(p.y);
                if (p.n > 1) text += ' (mean of ' + p.n + ' seeds, range ' + fmt(p.min) + '\u2013' + fmt(p.max) + ')';
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
