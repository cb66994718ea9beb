// greenbench report: draws the figures and makes the tables sortable. Data is read from
// <script type="application/json"> elements with JSON.parse; nothing here evaluates data.
(function () {
  "use strict";

  function drawFigures() {
    var divs = document.querySelectorAll("div.plot[data-figure]");
    Array.prototype.forEach.call(divs, function (div) {
      var source = document.getElementById(div.getAttribute("data-figure"));
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(div, figure.data, figure.layout, {
        displaylogo: false,
        responsive: true,
      });
    });
  }

  function sortKey(cell, numeric) {
    if (!numeric) {
      return cell.textContent.trim().toLowerCase();
    }
    var raw = cell.getAttribute("data-sort");
    return raw === null || raw === "" ? null : parseFloat(raw);
  }

  function sortTable(table, column, header) {
    var numeric = header.getAttribute("data-type") === "num";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortKey(a.cells[column], numeric);
      var y = sortKey(b.cells[column], numeric);
      if (x === y) { return 0; }
      if (x === null) { return 1; }  // missing values last in both directions
      if (y === null) { return -1; }
      var order = x < y ? -1 : 1;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable() {
    var tables = document.querySelectorAll("table.sortable");
    Array.prototype.forEach.call(tables, function (table) {
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
        header.setAttribute("tabindex", "0");
        header.addEventListener("click", function () { sortTable(table, column, header); });
        header.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            sortTable(table, column, header);
          }
        });
      });
    });
  }

  makeSortable();
  drawFigures();
})();
