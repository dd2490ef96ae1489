// The live day (and the home page that leads with it), kept open: look for new updates now and then,
// offer them, and put them in place, marked as new, without reloading the page.
// The page is asked for again with If-None-Match, so an unchanged day costs a 304. How often comes
// from the server (data-poll-seconds); a hidden tab asks a quarter as often and looks again on return.
// Every word shown comes from the page's own data attributes, so the page's language is the script's.
// Without scripts the page is the same, only without the offer.
(function () {
  "use strict";
  var HIDDEN_SLOWER = 4;
  var offer = document.getElementById("new-updates");
  var list = document.querySelector("ol.entries");
  if (!offer || !list || !window.fetch || !window.DOMParser) { return; }

  var every = Math.max(1, Number(offer.getAttribute("data-poll-seconds")) || 30) * 1000;
  var story = offer.getAttribute("data-story");
  var lang = (offer.closest("[lang]") || document.documentElement).getAttribute("lang") || "en";
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang) : null;
  var seen = {};
  updatesIn(list).forEach(function (item) { seen[item.id] = true; });
  var etag = null;
  var timer = null;
  var asking = false;
  var lastAsked = Date.now();
  var waiting = null;  // the newest copy of the page that holds updates not shown yet

  function updatesIn(root) {
    return Array.prototype.slice.call(root.querySelectorAll("li[id^='entry-']"));
  }

  function say(name, count) {
    var text = offer.getAttribute("data-" + name) || "";
    return text.replace("{count}", String(count));
  }

  function countLabel(count) {
    var form = plurals ? plurals.select(count) : (count === 1 ? "one" : "other");
    return offer.hasAttribute("data-plural-" + form) ? say("plural-" + form, count) : say("plural-other", count);
  }

  function schedule() {
    if (timer !== null) { window.clearTimeout(timer); timer = null; }
    if (asking) { return; }  // the answer schedules the next look
    var wait = lastAsked + (document.hidden ? every * HIDDEN_SLOWER : every) - Date.now();
    timer = window.setTimeout(ask, Math.max(0, wait));
  }

  function ask() {
    timer = null;
    asking = true;
    lastAsked = Date.now();
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(window.location.pathname, { headers: headers, credentials: "same-origin", cache: "no-cache" })
      .then(function (response) {
        if (response.status !== 200) { return null; }
        etag = response.headers.get("ETag");
        return response.text();
      })
      .then(function (html) {
        if (html) { consider(new DOMParser().parseFromString(html, "text/html")); }
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { asking = false; schedule(); });
  }

  function consider(fresh) {
    var freshOffer = fresh.getElementById("new-updates");
    var freshList = fresh.querySelector("ol.entries");
    if (!freshOffer || !freshList) { return; }
    if (freshOffer.getAttribute("data-story") !== story) {
      // The home page now leads with another day: that is a page of its own.
      show(say("new-day", 0), function () { window.location.reload(); });
      return;
    }
    announceEnd(fresh);
    var count = updatesIn(freshList).filter(function (item) { return !seen[item.id]; }).length;
    if (count > 0) {
      waiting = fresh;
      show(countLabel(count), putInPlace);
    }
  }

  function show(text, action) {
    var button = offer.querySelector("button");
    if (button && button.textContent === text) { return; }  // said already: not again to a screen reader
    offer.textContent = "";
    button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.addEventListener("click", action);
    offer.appendChild(button);
  }

  function announceEnd(fresh) {
    var ended = fresh.querySelector("p.ended");
    var updated = document.querySelector("p.updated");
    if (ended && updated && !document.querySelector("p.ended")) {
      updated.parentNode.insertBefore(document.importNode(ended, true), updated.nextSibling);
    }
  }

  function putInPlace() {
    var fresh = waiting;
    waiting = null;
    offer.textContent = "";
    if (!fresh) { return; }
    var first = null;
    var pending = [];
    updatesIn(fresh.querySelector("ol.entries")).forEach(function (item) {
      var here = document.getElementById(item.id);
      if (here && here.parentNode === list) {
        pending.forEach(function (node) { list.insertBefore(node, here); });
        pending = [];
      } else if (!seen[item.id]) {
        var node = markNew(document.importNode(item, true));
        seen[item.id] = true;
        pending.push(node);
        first = first || node;
      }
    });
    pending.forEach(function (node) { list.appendChild(node); });
    var empty = list.querySelector("li.empty");
    if (empty && first) { list.removeChild(empty); }
    replace(fresh, "p.updated");
    replace(fresh, ".key-events ul");
    if (first) { first.focus(); }
  }

  function markNew(item) {
    item.classList.add("is-new");
    item.setAttribute("tabindex", "-1");  // focus moves to the newest of them
    var label = document.createElement("strong");
    label.className = "new-label";
    label.textContent = offer.getAttribute("data-new-label");
    var stamp = item.querySelector(".stamp") || item;
    stamp.insertBefore(label, stamp.firstChild);
    return item;
  }

  function replace(fresh, selector) {
    var now = document.querySelector(selector);
    var then = fresh.querySelector(selector);
    if (now && then) { now.parentNode.replaceChild(document.importNode(then, true), now); }
  }

  document.addEventListener("visibilitychange", schedule);
  schedule();
}());
