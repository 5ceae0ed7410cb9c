/* sangaku site: sort a table.sortable by clicking a heading (numbers numerically, text by locale) and filter
   its rows with the search box whose data-table names it. No dependencies. */
(function () {
  "use strict";
  function cellValue(row, i) {
    var c = row.cells[i];
    if (!c) return "";
    return c.getAttribute("data-sort") || c.textContent.trim();
  }
  function asNumber(text) {
    var m = /^\[?\s*(-?[\d.]+(?:e[-+]?\d+)?)/i.exec(text);
    return m ? parseFloat(m[1]) : NaN;
  }
  function sortBy(table, i, th) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    rows.sort(function (a, b) {
      var x = cellValue(a, i), y = cellValue(b, i), nx = asNumber(x), ny = asNumber(y);
      if (!isNaN(nx) && !isNaN(ny)) return (nx - ny) * dir;
      if (isNaN(nx) !== isNaN(ny)) return isNaN(nx) ? 1 : -1;  // empty cells last
      return x.localeCompare(y) * dir;
    });
    var heads = table.tHead.rows[0].cells;
    for (var k = 0; k < heads.length; k++) heads[k].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    for (var r = 0; r < rows.length; r++) body.appendChild(rows[r]);
  }
  function filter(table, text) {
    var q = text.trim().toLowerCase(), rows = table.tBodies[0].rows;
    for (var r = 0; r < rows.length; r++) {
      rows[r].hidden = q !== "" && rows[r].textContent.toLowerCase().indexOf(q) < 0;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var tables = document.querySelectorAll("table.sortable");
    for (var t = 0; t < tables.length; t++) {
      (function (table) {
        var heads = table.tHead ? table.tHead.rows[0].cells : [];
        for (var i = 0; i < heads.length; i++) {
          (function (th, i) {
            th.tabIndex = 0;
            th.addEventListener("click", function () { sortBy(table, i, th); });
            th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(table, i, th); });
          })(heads[i], i);
        }
      })(tables[t]);
    }
    var boxes = document.querySelectorAll("input.table-filter");
    for (var b = 0; b < boxes.length; b++) {
      (function (box) {
        var table = document.getElementById(box.getAttribute("data-table"));
        if (table) box.addEventListener("input", function () { filter(table, box.value); });
      })(boxes[b]);
    }
  });
})();
