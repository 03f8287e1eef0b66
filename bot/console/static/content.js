// Content editor: a problem's "Dòng N" link puts the cursor on that line of the text.
"use strict";
(function () {
  var text = document.getElementById("text");
  if (!text) { return; }
  function gotoLine(line) {
    var lines = text.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    text.focus();
    text.setSelectionRange(start, end);
    var lineHeight = text.scrollHeight / Math.max(1, lines.length);
    text.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }
  document.querySelectorAll("a.goto").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      gotoLine(parseInt(link.getAttribute("data-line"), 10) || 1);
    });
  });
  var first = document.querySelector("a.goto");
  if (first) { gotoLine(parseInt(first.getAttribute("data-line"), 10) || 1); }
})();
