// The desk's one script: Ctrl+Enter publishes, a draft survives a reload, a double click sends once,
// and the preview follows the typing. Without it the desk works the same, with the Preview button.
// Its words come from the page (data-* attributes), in the language the desk is shown in.
(function () {
  "use strict";
  var form = document.getElementById("compose");

  // Every desk form: after the first submit, its buttons wait (the server also answers a resend once).
  Array.prototype.forEach.call(document.querySelectorAll("form.desk-form"), function (f) {
    f.addEventListener("submit", function () {
      window.setTimeout(function () {
        Array.prototype.forEach.call(f.querySelectorAll("button"), function (b) { b.disabled = true; });
      }, 0);
    });
  });
  if (!form) return;

  var key = "syndicate-desk-draft:" + form.getAttribute("data-draft");
  var fields = ["headline", "body", "embargo", "byline", "idempotency_key"];
  var publish = document.getElementById("publish-button");

  function save() {
    var draft = {};
    fields.forEach(function (name) { draft[name] = form.elements[name].value; });
    draft.key_event = form.elements.key_event.checked;
    try { window.localStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* storage full or off */ }
  }

  function restore() {
    var raw = null;
    try { raw = window.localStorage.getItem(key); } catch (e) { return; }
    if (!raw) return;
    // A form the server filled (a preview, a refused publish) is newer than the stored draft.
    if (form.elements.headline.value || form.elements.body.value) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return; }
    // The key comes back too: resending a draft whose first send did arrive publishes nothing new.
    fields.forEach(function (name) { if (typeof draft[name] === "string") form.elements[name].value = draft[name]; });
    form.elements.key_event.checked = !!draft.key_event;
  }

  if (form.hasAttribute("data-clear-draft")) {
    try { window.localStorage.removeItem(key); } catch (e) { /* nothing to clear */ }
  } else {
    restore();
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);

  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(publish); else publish.click();
    }
  });

  // The preview as you type: the server's own rendering and sanitising, and the gazetteer's warnings.
  var headline = document.getElementById("preview-headline");
  var body = document.getElementById("preview-body");
  var warnings = document.getElementById("preview-warnings");
  var empty = document.getElementById("preview-empty");
  var timer = null;
  var busy = false;    // a preview request is out: never more than one at a time
  var again = false;   // the text changed while it was out: ask once more when it is back

  function show(data) {
    headline.textContent = form.elements.headline.value.trim() || form.getAttribute("data-no-headline");
    warnings.textContent = "";
    if (data.error) {
      // Markup the desk refuses: say why where the preview would be; publishing would say the same.
      body.textContent = "";
      var refused = document.createElement("p");
      refused.className = "error";
      refused.textContent = (data.error.fields && data.error.fields.body) || data.error.message;
      warnings.appendChild(refused);
    } else {
      body.innerHTML = data.html;  // sanitised by the server, exactly as it will be stored
      (data.warnings.length ? data.warnings : [null]).forEach(function (text) {
        var p = document.createElement("p");
        p.className = text ? "warning" : "ok";
        p.textContent = text || form.getAttribute("data-no-warnings");
        warnings.appendChild(p);
      });
    }
    empty.hidden = true;
  }

  // The preview needs the words only: a chosen picture is sent once, with Publish.
  function textOnly() {
    var data = new FormData(form);
    data.delete("image_file");
    return data;
  }

  function refresh() {
    if (!form.elements.body.value.trim() && !form.elements.headline.value.trim()) return;
    if (busy) { again = true; return; }
    busy = true;
    window.fetch(form.getAttribute("data-preview"), {
      method: "POST", body: textOnly(), credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.ok || response.status === 422 ? response.json() : null;
    }).then(function (data) {
      if (data && !again) show(data);  // a newer text is on its way otherwise
    }).catch(function () { /* offline: the draft is kept; the Preview button still works */
    }).then(function () {
      busy = false;
      if (again) { again = false; schedule(); }
    });
  }

  // Wait for a pause in the typing; a long text waits longer, as each preview of it costs more.
  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, Math.min(2000, 400 + Math.floor(form.elements.body.value.length / 100)));
  }

  form.addEventListener("input", schedule);
  if (form.elements.body.value.trim()) refresh();

  // A chosen picture needs its alt text, and must fit the server's limit: said before anything is sent.
  var picture = form.elements.image_file;
  if (picture) {
    picture.addEventListener("change", function () {
      var file = picture.files && picture.files[0];
      var max = parseInt(picture.getAttribute("data-max-bytes"), 10);
      form.elements.alt.required = !!file;
      picture.setCustomValidity(file && file.size > max ? picture.getAttribute("data-too-large") : "");
      picture.reportValidity();
    });
  }
})();
