// The market page's chart: 1-minute bars from the server, redrawn when the event stream says "trades".
(function () {
  const box = document.getElementById("chart");
  if (!box || !window.LightweightCharts) return;
  const chart = LightweightCharts.createChart(box, { height: 280, timeScale: { timeVisible: true } });
  const series = chart.addSeries(LightweightCharts.CandlestickSeries, {});
  async function load() {
    const answer = await fetch(box.dataset.bars, { credentials: "same-origin" });
    if (answer.ok) series.setData(await answer.json());
  }
  load();
  document.body.addEventListener("htmx:sseMessage", function (e) {
    if (e.detail && e.detail.type === "trades") load();
  });
})();
