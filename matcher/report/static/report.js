/* matcher round report: map zoom/pan, layer toggles, table filter/sort, row -> map highlight.
   Reads only the page itself; loads nothing. */
(function () {
  "use strict";
  var svg = document.getElementById("map-svg");
  if (svg) {
    var base = svg.viewBox.baseVal, home = [base.x, base.y, base.width, base.height];
    var set = function (x, y, w, h) { svg.setAttribute("viewBox", [x, y, w, h].join(" ")); };
    var toSvg = function (ev) {
      var r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
      return [vb.x + (ev.clientX - r.left) / r.width * vb.width, vb.y + (ev.clientY - r.top) / r.height * vb.height];
    };
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var vb = svg.viewBox.baseVal, p = toSvg(ev), f = ev.deltaY < 0 ? 0.8 : 1.25;
      var w = Math.min(Math.max(vb.width * f, home[2] / 60), home[2] * 4), k = w / vb.width;
      set(p[0] - (p[0] - vb.x) * k, p[1] - (p[1] - vb.y) * k, w, vb.height * k);
    }, { passive: false });
    var drag = null;
    svg.addEventListener("pointerdown", function (ev) { drag = toSvg(ev); svg.setPointerCapture(ev.pointerId); });
    svg.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      var vb = svg.viewBox.baseVal, p = toSvg(ev);
      set(vb.x - (p[0] - drag[0]), vb.y - (p[1] - drag[1]), vb.width, vb.height);
    });
    svg.addEventListener("pointerup", function () { drag = null; });
    var reset = document.getElementById("map-reset");
    if (reset) reset.addEventListener("click", function () { set.apply(null, home); });
    var walk = document.getElementById("toggle-walk");
    if (walk) walk.addEventListener("change", function () { svg.classList.toggle("no-walk", !walk.checked); });
    document.querySelectorAll(".cat-toggle input").forEach(function (box) {
      box.addEventListener("change", function () {
        svg.querySelectorAll("[data-cat]").forEach(function (el) {
          if (el.getAttribute("data-cat") === box.getAttribute("data-cat")) el.classList.toggle("hidden", !box.checked);
        });
      });
    });
  }
  var highlight = function (needId) {
    if (!svg) return;
    svg.querySelectorAll(".hl").forEach(function (el) { el.classList.remove("hl"); });
    svg.querySelectorAll("[data-need]").forEach(function (el) {
      if (el.getAttribute("data-need") === needId) el.classList.add("hl");
    });
  };
  document.querySelectorAll("tbody tr[data-need]").forEach(function (tr) {
    tr.addEventListener("click", function () {
      document.querySelectorAll("tr.sel").forEach(function (r) { r.classList.remove("sel"); });
      tr.classList.add("sel");
      highlight(tr.getAttribute("data-need"));
      var map = document.getElementById("map");
      if (map && map.scrollIntoView) map.scrollIntoView({ behavior: "smooth", block: "center" });
    });
  });
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        tr.style.display = !q || tr.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
      });
    });
  });
  document.querySelectorAll("th").forEach(function (th) {
    th.addEventListener("click", function () {
      var table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
      var asc = th.getAttribute("data-sort") !== "asc";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("data-sort"); });
      th.setAttribute("data-sort", asc ? "asc" : "desc");
      var key = function (tr) {
        var t = tr.cells[col] ? tr.cells[col].textContent.replace(/,/g, "") : "";
        var n = parseFloat(t);
        return isNaN(n) || !/^-?[\d.]+$/.test(t.trim()) ? t : n;
      };
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh");
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
