// salesos: the only script. No inline scripts (the CSP forbids them).
// 1. The menu button shows and hides the navigation on narrow screens.
// 2. Buttons with data-confirm ask before their form is sent.
// 3. Buttons with data-print print the page.
(function () {
  "use strict";

  function setup() {
    var toggle = document.querySelector(".menu-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", open ? "false" : "true");
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
          toggle.setAttribute("aria-expanded", "false");
          toggle.focus();
        }
      });
    }

    document.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.hasAttribute("data-confirm")) {
        return;
      }
      if (!window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });

    // Buttons with data-print open the print dialog (invoices, payments, credit notes).
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (target && target.closest && target.closest("[data-print]")) {
        window.print();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
