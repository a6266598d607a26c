// Render every .chart from the JSON figure in the <script type="application/json"> beside it.
document.querySelectorAll(".chart").forEach(function (el) {
  var fig = JSON.parse(document.getElementById(el.id + "-data").textContent);
  Plotly.newPlot(el, fig.data, fig.layout, {displaylogo: false, responsive: true});
});
