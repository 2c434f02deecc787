// Draws every chart of the page from its JSON (kept in a data block, not an inline script).
document.querySelectorAll("figure[data-chart]").forEach(function (figure) {
  var data = document.getElementById(figure.dataset.chart + "-data");
  var target = figure.querySelector(".plot");
  if (!data || !target || !window.Plotly) return;
  var fig = JSON.parse(data.textContent);
  // Show the target first: Plotly sizes a hidden element at its default 700px width.
  figure.classList.add("drawn");
  window.Plotly.newPlot(target, fig.data, fig.layout, {responsive: true, displayModeBar: false});
});
