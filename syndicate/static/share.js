// Share buttons: the device's share sheet where there is one, else the link copied to the clipboard.
// The buttons stay hidden (style.css) until this script says it can do one or the other; without it
// every update's permalink is still a plain link. Words come from the buttons' data attributes.
(function () {
  "use strict";
  var canShare = typeof navigator.share === "function";
  var canCopy = !!(navigator.clipboard && navigator.clipboard.writeText);
  if (!canShare && !canCopy) { return; }
  document.documentElement.classList.add("can-share");

  function tell(button, name) {
    var status = button.parentNode.querySelector(".share-status");
    if (status) { status.textContent = button.getAttribute("data-" + name) || ""; }
  }

  // Delegated, so updates put in place by live.js share too.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.share-button") : null;
    if (!button) { return; }
    var url = button.getAttribute("data-share-url");
    if (canShare) {
      navigator.share({ title: button.getAttribute("data-share-title") || document.title, url: url })
        .catch(function () { /* dismissed, or refused: nothing to undo */ });
      return;
    }
    navigator.clipboard.writeText(url).then(
      function () { tell(button, "copied"); },
      function () { tell(button, "failed"); }
    );
  });
}());
