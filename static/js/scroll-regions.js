// A table wider than a phone's screen scrolls inside itself (static/css/app.css): make it
// reachable from the keyboard (tabindex) and named for screen readers, when it does scroll.
(function () {
  "use strict";

  function mark() {
    document.querySelectorAll("main table, main .table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
        if (!box.hasAttribute("role") && box.tagName !== "TABLE") box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          var caption = box.querySelector("caption");
          box.setAttribute("aria-label", caption ? caption.textContent.trim() : document.title);
        }
      }
    });
  }

  mark();
  window.addEventListener("resize", mark);
})();
