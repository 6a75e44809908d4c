// e5renew dashboard: the little JavaScript it needs (confirmations and the device-code
// status); every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.confirm").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); }
    });
  });
  var dev = document.getElementById("device");
  if (dev) {
    var state = document.getElementById("device-state");
    var poll = function () {
      fetch(dev.dataset.status, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          state.textContent = s.text;
          if (s.done) {
            if (s.redirect) { window.location.assign(s.redirect); }
            return;
          }
          window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }
});
