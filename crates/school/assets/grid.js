// Hocba score grid: progressive enhancement only (the form works without it).
// - Enter moves to the same column on the next row (Tab already moves along the row).
// - A cell that is not a score 0-10 with at most one decimal turns red while typing.
// - ĐTBmhk is previewed as you type with the TT22 formula in exact tenths; the server
//   recomputes it with the rule engine when the sheet is saved.
(function () {
  "use strict";
  var SCORE = /^\s*(\d{1,3})(?:[.,](\d))?\s*$/;
  function tenths(text) {
    var m = SCORE.exec(text);
    if (!m) return null;
    var t = parseInt(m[1], 10) * 10 + (m[2] ? parseInt(m[2], 10) : 0);
    return t <= 100 ? t : null;
  }
  function fmt(t) { return Math.floor(t / 10) + "," + (t % 10); }
  function preview(row) {
    var out = row.querySelector("td.avg output");
    if (!out) return;
    var sum = 0, n = 0, gk = null, ck = null, bad = false;
    row.querySelectorAll("input.score").forEach(function (i) {
      if (i.value.trim() === "") return;
      var t = tenths(i.value);
      if (t === null) { bad = true; return; }
      if (i.name.indexOf("tx_") === 0) { sum += t; n += 1; }
      else if (i.name.indexOf("gk_") === 0) gk = t;
      else if (i.name.indexOf("ck_") === 0) ck = t;
    });
    if (bad || n === 0 || gk === null || ck === null) { out.textContent = ""; return; }
    var num = sum + 2 * gk + 3 * ck, den = n + 5;
    out.textContent = fmt(Math.floor((2 * num + den) / (2 * den)));
  }
  document.addEventListener("DOMContentLoaded", function () {
    var grid = document.getElementById("grid");
    if (!grid) return;
    grid.addEventListener("input", function (e) {
      var i = e.target;
      if (!i.classList || !i.classList.contains("score")) return;
      var ok = i.value.trim() === "" || tenths(i.value) !== null;
      i.classList.toggle("invalid", !ok);
      i.setAttribute("aria-invalid", ok ? "false" : "true");
      preview(i.closest("tr"));
    });
    grid.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.target.tagName !== "INPUT") return;
      e.preventDefault();
      var cell = e.target.closest("td"), row = cell.parentElement;
      var col = Array.prototype.indexOf.call(row.children, cell);
      var next = row.nextElementSibling;
      var target = next && next.children[col] && next.children[col].querySelector("input");
      if (target) { target.focus(); target.select(); }
    });
  });
})();
