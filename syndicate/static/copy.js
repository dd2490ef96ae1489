// Copy buttons beside feed addresses. Without scripts each address is a read-only field that can be
// selected and copied by hand; with them, a button copies it and says "Copied" (politely, to screen
// readers too). The buttons stay hidden until this script shows them, so no one sees one that cannot work.
(function () {
  "use strict";
  var fields = document.querySelectorAll(".copy-field");
  if (!fields.length) { return; }

  function say(status, text) {
    status.textContent = text;
    clearTimeout(status.copyTimer);
    status.copyTimer = setTimeout(function () { status.textContent = ""; }, 4000);
  }

  function byHand(input) {
    // Older browsers, or a page not served over HTTPS: the selection and the browser's own copy command.
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  fields.forEach(function (field) {
    var input = field.querySelector("input");
    var button = field.querySelector("button.copy");
    var status = field.querySelector(".copy-status");
    if (!input || !button || !status) { return; }
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      var done = function () { say(status, status.getAttribute("data-copied") || "Copied"); };
      var failed = function () {
        if (byHand(input)) { done(); } else { say(status, status.getAttribute("data-select") || "Selected: copy it now"); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, failed);
      } else {
        failed();
      }
    });
    button.hidden = false;
  });
})();
