// Draws each chart of the analytics pages from the JSON option the server wrote next to it,
// on the page as it loads and in every dashboard panel htmx brings in afterwards.
(function () {
  "use strict";
  function draw(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (box) {
      if (box.hasAttribute("data-drawn")) return;
      var source = document.getElementById(box.getAttribute("data-chart"));
      if (!source) return;
      box.setAttribute("data-drawn", "");
      var chart = echarts.init(box);
      chart.setOption(JSON.parse(source.textContent));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("htmx:load", function (event) { draw(event.detail.elt); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { draw(document); });
  else draw(document);
})();
