// backstride trends page: draws the charts whose figures the page carries as JSON
// (<script type="application/json" id="trend-charts-data">) with the bundled plotly.js.
// Plain JS, no third-party code besides plotly.js, nothing fetched.
"use strict";

function drawTrendCharts() {
  const holder = document.getElementById("trend-charts-data");
  if (!holder || typeof Plotly === "undefined") {
    return;
  }
  const found = JSON.parse(holder.textContent);
  found.charts.forEach(function (chart) {
    const element = document.getElementById(chart.id);
    if (element) {
      Plotly.newPlot(element, chart.figure.data, chart.figure.layout, found.config);
    }
  });
}

document.addEventListener("DOMContentLoaded", drawTrendCharts);
