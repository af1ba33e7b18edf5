// A table wider than the screen scrolls in its own box; a keyboard must reach that box too
// (WCAG 2.1.1), so a box that scrolls gets a tab stop and a name from its caption or heading.
(function () {
  "use strict";
  function labelOf(table) {
    var caption = table.querySelector("caption");
    if (caption) return caption.textContent.trim();
    var heading = table.closest("section, div, main");
    heading = heading && heading.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : "Table";
  }
  function reachScrollingTables() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
        if (!table.hasAttribute("aria-label")) table.setAttribute("aria-label", labelOf(table));
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", reachScrollingTables);
  document.addEventListener("htmx:afterSettle", reachScrollingTables);
  window.addEventListener("resize", reachScrollingTables);
})();
