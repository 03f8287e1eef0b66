// Units left and the winner count, refreshed every 30 s from live.json (no inline script).
(function () {
  "use strict";
  var me = document.currentScript;
  var url = me && me.getAttribute("data-live");
  if (!url || !window.fetch) return;
  function refresh() {
    fetch(url, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        Object.keys(data.remaining).forEach(function (id) {
          document.querySelectorAll("[data-remaining]").forEach(function (cell) {
            if (cell.getAttribute("data-remaining") === id) cell.textContent = String(data.remaining[id]);
          });
        });
        var count = document.querySelector("[data-winners]");
        if (count) count.textContent = String(data.winners);
      })
      .catch(function () {});
  }
  setInterval(refresh, 30000);
})();
