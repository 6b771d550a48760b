// Chart.js charts drawn from data the server embeds with json_script: the audit dashboard's
// sector doughnut, top factories against caps and cumulative lines, and the factory page's
// monthly charts. Colours follow the theme; tooltips are in tonnes of CO2.
(function () {
  "use strict";
  if (!window.Chart) {
    return;
  }
  var Chart = window.Chart;
  var charts = [];
  var SECTOR_COLORS = ["#2f80ed", "#f2994a", "#9b51e0", "#27ae60", "#eb5757", "#56ccf2", "#f2c94c"];
  var OK = "#1f9d6a";
  var OVER = "#e5484d";

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function tonnes(value) {
    if (value === null || value === undefined) {
      return "–";
    }
    var digits = Math.abs(value) < 10 ? 1 : 0;
    return value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }) + " t";
  }

  function compact(value) {
    var abs = Math.abs(value);
    if (abs >= 1e6) {
      return (value / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 }) + "M";
    }
    if (abs >= 1e3) {
      return (value / 1e3).toLocaleString(undefined, { maximumFractionDigits: 1 }) + "k";
    }
    return value.toLocaleString();
  }

  function shade(hex, amount) {
    var n = parseInt(hex.slice(1), 16);
    var r = (n >> 16) & 255;
    var g = (n >> 8) & 255;
    var b = n & 255;
    var mix = function (c) {
      return Math.round(amount >= 0 ? c + (255 - c) * amount : c * (1 + amount));
    };
    return "rgb(" + mix(r) + "," + mix(g) + "," + mix(b) + ")";
  }

  function applyDefaults() {
    Chart.defaults.color = css("--muted");
    Chart.defaults.borderColor = css("--chart-grid");
    Chart.defaults.font.family = css("--font") || "system-ui, sans-serif";
    Chart.defaults.animation.duration = 400;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.plugins.legend.labels.boxWidth = 12;
    Chart.defaults.plugins.tooltip.callbacks.label = function (item) {
      var label = item.dataset.label || item.label || "";
      var value = item.parsed && typeof item.parsed === "object" ? item.parsed[item.chart.options.indexAxis === "y" ? "x" : "y"] : item.parsed;
      return (label ? label + ": " : "") + tonnes(value) + " CO₂";
    };
  }

  function axisTonnes(title) {
    return {
      beginAtZero: true,
      grid: { color: css("--chart-grid") },
      ticks: { callback: function (value) { return compact(value); } },
      title: { display: Boolean(title), text: title },
    };
  }

  function make(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    config.options = config.options || {};
    config.options.animation = config.options.animation || {};
    config.options.animation.onComplete = function () {
      canvas.setAttribute("data-drawn", "true");
    };
    charts.push(new Chart(canvas, config));
  }

  function dashboard(data) {
    make("chart-sectors", {
      type: "doughnut",
      data: {
        labels: data.sectors.labels,
        datasets: [{
          data: data.sectors.tonnes,
          backgroundColor: data.sectors.labels.map(function (_, i) { return SECTOR_COLORS[i % SECTOR_COLORS.length]; }),
          borderColor: css("--surface"),
          borderWidth: 2,
        }],
      },
      options: { cutout: "62%", plugins: { legend: { position: window.innerWidth < 600 ? "bottom" : "right" } } },
    });

    make("chart-top", {
      type: "bar",
      data: {
        labels: data.top.labels,
        datasets: [
          {
            label: "Year to date",
            data: data.top.tonnes,
            backgroundColor: data.top.exceeded.map(function (over) { return over ? OVER : OK; }),
            borderRadius: 4,
            barPercentage: 0.8,
            order: 2,
          },
          {
            type: "line",
            label: "Cap",
            data: data.top.cap_tonnes,
            showLine: false,
            pointStyle: "line",
            pointRadius: 11,
            pointHoverRadius: 13,
            pointRotation: 90,
            pointBorderWidth: 3,
            borderColor: css("--ink"),
            backgroundColor: css("--ink"),
            order: 1,
          },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: axisTonnes("t CO₂"), y: { grid: { display: false } } },
        plugins: { legend: { position: "bottom" } },
      },
    });

    var series = data.cumulative;
    var datasets = [];
    Object.keys(series.sectors).forEach(function (sector, i) {
      var color = SECTOR_COLORS[i % SECTOR_COLORS.length];
      var group = series.sectors[sector];
      group.factories.forEach(function (factory, j) {
        datasets.push({
          label: factory.factory_id,
          data: factory.cumulative_kg.map(function (kg) { return kg === null ? null : kg / 1000; }),
          borderColor: shade(color, -0.15 + j * 0.18),
          backgroundColor: shade(color, -0.15 + j * 0.18),
          borderWidth: 2,
          pointRadius: 2,
          tension: 0.2,
          spanGaps: true,
        });
      });
      datasets.push({
        label: sector + " cap",
        data: series.months.map(function () { return group.carbon_cap_kg / 1000; }),
        borderColor: color,
        borderDash: [6, 5],
        borderWidth: 1.5,
        pointRadius: 0,
        fill: false,
      });
    });
    make("chart-cumulative", {
      type: "line",
      data: { labels: series.month_labels, datasets: datasets },
      options: {
        interaction: { mode: "nearest", intersect: false },
        scales: { y: axisTonnes("cumulative t CO₂"), x: { grid: { display: false } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 10, font: { size: 11 } } } },
      },
    });
  }

  function factoryCharts(list) {
    list.forEach(function (item) {
      var cumulative = item.tonnes.reduce(function (acc, value) {
        var last = acc.length ? acc[acc.length - 1] : 0;
        acc.push(value === null ? last : (last || 0) + value);
        return acc;
      }, []);
      make(item.id, {
        type: "bar",
        data: {
          labels: item.labels,
          datasets: [
            {
              label: "Monthly emissions",
              data: item.tonnes,
              // A month is red once the running total has passed the cap (in ALERT).
              backgroundColor: cumulative.map(function (total) {
                return total > item.cap_tonnes ? OVER : OK;
              }),
              borderRadius: 3,
              order: 2,
            },
            {
              type: "line",
              label: "Cumulative",
              data: cumulative,
              yAxisID: "cumulative",
              borderColor: css("--info"),
              backgroundColor: css("--info"),
              pointRadius: 2,
              tension: 0.2,
              order: 1,
            },
            {
              type: "line",
              label: "Cap",
              data: item.labels.map(function () { return item.cap_tonnes; }),
              yAxisID: "cumulative",
              borderColor: OVER,
              borderDash: [6, 5],
              borderWidth: 1.5,
              pointRadius: 0,
              order: 0,
            },
          ],
        },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: {
            y: axisTonnes("monthly t CO₂"),
            cumulative: Object.assign(axisTonnes("cumulative t CO₂"), { position: "right", grid: { display: false } }),
            x: { grid: { display: false } },
          },
          plugins: { legend: { position: "bottom" } },
        },
      });
    });
  }

  function draw() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    applyDefaults();
    var dashboardData = document.getElementById("chart-data");
    if (dashboardData) {
      dashboard(JSON.parse(dashboardData.textContent));
    }
    var factoryData = document.getElementById("factory-charts");
    if (factoryData) {
      factoryCharts(JSON.parse(factoryData.textContent));
    }
  }

  // Share-of-cap bars in tables: widths from data attributes (no inline styles).
  Array.prototype.forEach.call(document.querySelectorAll(".share-bar [data-width]"), function (bar) {
    bar.style.width = Math.min(100, parseFloat(bar.getAttribute("data-width")) || 0) + "%";
  });

  draw();
  document.addEventListener("carbontrace:theme", draw);
})();
