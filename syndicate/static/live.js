// The live day, kept open: look for new updates now and then, and offer them without moving the page.
// The page itself is asked for again with If-None-Match, so an unchanged day costs a 304; without
// scripts the page is the same, only without the offer.
(function () {
  "use strict";
  var list = document.querySelector("ol.entries");
  var offer = document.getElementById("new-updates");
  if (!list || !offer || !window.fetch || !window.DOMParser) { return; }
  var seen = {};
  list.querySelectorAll("li[id^='entry-']").forEach(function (item) { seen[item.id] = true; });
  var etag = null;
  var every = 30000;

  function check() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(window.location.pathname, { headers: headers, credentials: "same-origin", cache: "no-cache" })
      .then(function (response) {
        if (response.status !== 200) { return null; }
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelectorAll("ol.entries li[id^='entry-']");
        var count = 0;
        fresh.forEach(function (item) { if (!seen[item.id]) { count += 1; } });
        if (count > 0) { show(count); }
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { window.setTimeout(check, every); });
  }

  function show(count) {
    offer.textContent = "";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = count === 1 ? "1 new update" : count + " new updates";
    button.addEventListener("click", function () { window.location.reload(); });
    offer.appendChild(button);
    offer.hidden = false;
  }

  window.setTimeout(check, every);
}());
