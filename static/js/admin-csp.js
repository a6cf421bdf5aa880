/* Flask-Admin without inline script: bulk actions, delete confirmations and "#" links. */
(function () {
  "use strict";
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
