// The report's one script (no library, nothing fetched, works from file://):
// - anything with data-seek (seconds) plays the call's recording from there
//   and shows its utterance;
// - tables with class "sortable" sort by a click (or Enter/Space) on a
//   header: numbers as numbers, ids in natural order (A017 before A-2148),
//   dates by their data-sort value;
// - a button with data-print prints the page (the agent's scorecard);
// - a filter box (and select boxes) above a table hide the rows that do
//   not match, and say how many are shown.
(function () {
  "use strict";

  // ---- audio: evidence and utterances seek the recording ----
  var audio = document.getElementById("recording");
  function utteranceFor(target) {
    var id = target.getAttribute("data-target");
    return id ? document.getElementById(id) : null;
  }
  function seek(seconds, target) {
    if (audio) {
      audio.currentTime = seconds;
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    }
    var utt = target ? utteranceFor(target) : null;
    if (utt) {
      utt.scrollIntoView({ block: "center" });
      utt.classList.remove("flash");
      void utt.offsetWidth;
      utt.classList.add("flash");
    }
    document.body.setAttribute("data-last-seek", String(seconds));
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); return; }
    var el = event.target.closest ? event.target.closest("[data-seek]") : null;
    if (!el) { return; }
    event.preventDefault();
    seek(parseFloat(el.getAttribute("data-seek")), el);
  });
  if (audio) {
    var utts = Array.prototype.slice.call(document.querySelectorAll(".utt[data-start]"));
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime * 1000;
      utts.forEach(function (u) {
        var on = t >= +u.getAttribute("data-start") && t < +u.getAttribute("data-end");
        u.classList.toggle("playing", on);
      });
    });
  }

  // ---- sorting ----
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-sort");
    return v === null ? cell.textContent.trim() : v;
  }
  // Letters compared case-blind, digit runs as numbers, punctuation ignored.
  function chunks(text) {
    return (text.replace(/[^0-9A-Za-z\u00C0-\uFFFF]+/g, "").match(/(\d+|\D+)/g)) || [];
  }
  function natural(a, b) {
    var x = chunks(a), y = chunks(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var p = x[i], q = y[i];
      var pd = /^\d/.test(p), qd = /^\d/.test(q);
      var order;
      if (pd && qd) {
        var pp = p.replace(/^0+/, ""), qq = q.replace(/^0+/, "");
        order = pp.length - qq.length || (pp < qq ? -1 : pp > qq ? 1 : 0);
      } else {
        var pl = p.toLowerCase(), ql = q.toLowerCase();
        order = pl < ql ? -1 : pl > ql ? 1 : 0;
      }
      if (order) { return order; }
    }
    return x.length - y.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  function compare(type, a, b) {
    if (type === "num" || type === "date") {
      var x = parseFloat(a), y = parseFloat(b);
      var xn = isNaN(x), yn = isNaN(y);
      if (xn || yn) { return xn === yn ? 0 : xn ? 1 : -1; } // blanks last
      return x - y;
    }
    if (type === "natural") { return natural(a, b); }
    return a.localeCompare(b, document.documentElement.lang || undefined);
  }
  function sortBy(table, th) {
    var index = th.cellIndex;
    var type = th.getAttribute("data-type") || "text";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      if (h.hasAttribute("tabindex")) { h.setAttribute("aria-sort", "none"); }
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) { return [r, i]; });
    rows.sort(function (p, q) {
      var order = compare(type, cellValue(p[0], index), cellValue(q[0], index));
      if (!ascending) { order = -order; }
      return order || p[1] - q[1]; // stable
    });
    rows.forEach(function (p) { body.appendChild(p[0]); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute("tabindex", "0");
      th.setAttribute("role", "columnheader");
      if (!th.hasAttribute("aria-sort")) { th.setAttribute("aria-sort", "none"); }
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th); }
      });
    });
  });

  // ---- filtering ----
  Array.prototype.forEach.call(document.querySelectorAll(".table-tools"), function (tools) {
    var table = document.getElementById(tools.getAttribute("data-table"));
    if (!table) { return; }
    var box = tools.querySelector("input.filter");
    var selects = Array.prototype.slice.call(tools.querySelectorAll("select[data-attr]"));
    var count = tools.querySelector(".shown");
    function apply() {
      var words = box ? box.value.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
      var rows = table.tBodies[0].rows, shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i], text = row.textContent.toLowerCase(), on = true;
        for (var w = 0; w < words.length && on; w++) { on = text.indexOf(words[w]) >= 0; }
        for (var s = 0; s < selects.length && on; s++) {
          var want = selects[s].value;
          if (want) {
            var have = (row.getAttribute(selects[s].getAttribute("data-attr")) || "").split(" ");
            on = have.indexOf(want) >= 0;
          }
        }
        row.hidden = !on;
        if (on) { shown++; }
      }
      if (count) {
        count.textContent = count.getAttribute("data-format")
          .replace("{shown}", shown).replace("{total}", rows.length);
      }
    }
    if (box) { box.addEventListener("input", apply); }
    selects.forEach(function (s) { s.addEventListener("change", apply); });
    apply();
  });
})();
