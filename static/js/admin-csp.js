/* Flask-Admin without inline script: bulk actions, delete confirmations and "#" links; and
   the app's navbar (Bootstrap 5 markup) driven by the back office's Bootstrap 4. */
(function () {
  "use strict";
  // Bootstrap 4 reads data-toggle and data-target where Bootstrap 5 reads data-bs-*; its
  // handlers are delegated, so renaming the attributes once is enough.
  document.querySelectorAll("[data-bs-toggle]").forEach(function (element) {
    element.setAttribute("data-toggle", element.getAttribute("data-bs-toggle"));
    if (element.hasAttribute("data-bs-target")) {
      element.setAttribute("data-target", element.getAttribute("data-bs-target"));
    }
  });
  document.querySelectorAll(".dropdown-menu-end").forEach(function (menu) {
    menu.classList.add("dropdown-menu-right");
  });
  document.addEventListener("click", function (event) {
    var actionLink = event.target.closest("[data-admin-action]");
    if (actionLink) {
      event.preventDefault();
      if (window.modelActions) {
        window.modelActions.execute(actionLink.getAttribute("data-admin-action"));
      }
      return;
    }
    var confirmButton = event.target.closest("[data-confirm]");
    if (confirmButton && !window.confirm(confirmButton.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var link = event.target.closest('a[href="#"], a[href^="javascript:"]');
    if (link) {
      event.preventDefault();
    }
  });
})();
