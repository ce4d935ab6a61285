/* The committee console's own script: no library, no outside request. Pages work without it;
   it adds the live progress of a solving round, "select all" boxes and confirmations. */
(function () {
  "use strict";

  function poll(box) {
    var url = box.getAttribute("data-poll");
    var done = box.getAttribute("data-done");
    var text = box.querySelector("[data-status]");
    var since = box.querySelector("[data-elapsed]");
    var start = Date.now();
    function tick() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { setTimeout(tick, 3000); return; }
          if (text) { text.textContent = s.status_text; }
          if (since) { since.textContent = Math.round((Date.now() - start) / 1000) + " 秒"; }
          if (s.finished) { window.location.assign(done); return; }
          setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    tick();
  }

  function selectAll(box) {
    box.addEventListener("change", function () {
      var form = box.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][form="' + form + '"]').forEach(function (c) {
        if (c !== box && !c.disabled) { c.checked = box.checked; }
      });
    });
  }

  function confirmSubmit(form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("[data-select-all]").forEach(selectAll);
    document.querySelectorAll("form[data-confirm]").forEach(confirmSubmit);
  });
}());
