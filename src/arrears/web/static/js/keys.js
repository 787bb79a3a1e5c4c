// Keyboard shortcuts for people who work a queue all day. No dependencies.
// j / k move through the rows of a table marked data-keys="rows"; Enter opens the row's link;
// n opens the next case (the element marked data-key="next"); / focuses the first search box.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var rows = Array.prototype.slice.call(document.querySelectorAll('[data-keys="rows"] tbody tr'));
    var current = rows.indexOf(document.activeElement);
    if ((event.key === "j" || event.key === "k") && rows.length) {
      var next = event.key === "j" ? Math.min(current + 1, rows.length - 1) : Math.max(current - 1, 0);
      rows[next].setAttribute("tabindex", "-1");
      rows[next].focus();
      event.preventDefault();
    } else if (event.key === "Enter" && current >= 0) {
      var link = rows[current].querySelector("a");
      if (link) { link.click(); }
    } else if (event.key === "n") {
      var nextCase = document.querySelector('[data-key="next"]');
      if (nextCase) { nextCase.click(); }
    } else if (event.key === "/") {
      var search = document.querySelector('input[type="search"]');
      if (search) { search.focus(); event.preventDefault(); }
    }
  });
})();
