// Broadcast pages: the compose form's live preview (the server renders it through each
// channel's renderer) and the progress page's counts, polled from the admin API.
// Every word shown comes from the page (templates); none is written here.
"use strict";
(function () {
  var form = document.getElementById("compose-form");
  var box = document.getElementById("preview");
  if (form && box) {
    var timer = null;
    var seq = 0;
    var refresh = function () {
      var mine = ++seq;
      fetch(box.getAttribute("data-url"), {
        method: "POST",
        credentials: "same-origin",
        body: new FormData(form),
      }).then(function (resp) {
        return resp.ok ? resp.text() : null;
      }).then(function (html) {
        if (html === null || mine !== seq) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var body = doc.getElementById("preview-body");
        if (body) box.replaceChildren(document.importNode(body, true));
      }).catch(function () { /* the next keystroke tries again */ });
    };
    var soon = function () {
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    };
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
  }

  var progress = document.getElementById("progress");
  if (progress && progress.getAttribute("data-live") === "yes") {
    var labels = document.getElementById("labels");
    var label = function (attr, code) {
      var node = labels.querySelector("[" + attr + '="' + code + '"]');
      return node ? node.textContent : code;
    };
    var number = function (n) { return Number(n || 0).toLocaleString("vi-VN"); };
    var set = function (id, value) { document.getElementById(id).textContent = value; };
    var poll = function () {
      window.consoleApi.call("GET", progress.getAttribute("data-api")).then(function (r) {
        if (!r.ok) return schedule();
        var st = r.data;
        var skipped = 0;
        var rows = document.createDocumentFragment();
        var head = document.getElementById("st-reasons").rows[0].cloneNode(true);
        rows.appendChild(head);
        Object.keys(st.skipped).sort().forEach(function (reason) {
          skipped += st.skipped[reason];
          var tr = document.createElement("tr");
          tr.setAttribute("data-reason", reason);
          var a = document.createElement("td");
          a.textContent = label("data-reason", reason);
          var b = document.createElement("td");
          b.className = "num";
          b.textContent = number(st.skipped[reason]);
          tr.appendChild(a);
          tr.appendChild(b);
          rows.appendChild(tr);
        });
        document.getElementById("st-reasons").replaceChildren(rows);
        var status = document.getElementById("st-status");
        status.textContent = label("data-status", st.status);
        status.setAttribute("data-code", st.status);
        set("st-audience", number(st.audience));
        set("st-sent", number(st.sent));
        set("st-failed", number(st.failed));
        set("st-skipped", number(skipped));
        set("st-pending", number(st.pending));
        var bar = document.getElementById("st-bar");
        bar.max = st.audience || 1;
        bar.value = st.sent + st.failed + skipped;
        if (st.status === "done" || st.status === "cancelled") {
          document.getElementById("st-refresh").hidden = true;
          var cancel = document.getElementById("cancel-link");
          if (cancel) cancel.hidden = true;
          return;
        }
        schedule();
      }).catch(schedule);
    };
    var schedule = function () { window.setTimeout(poll, 2000); };
    schedule();
  }
})();
