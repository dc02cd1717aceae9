/* pactlog dashboard: replay dates, and show new events live from /v1/stream.
   Hand-written, no dependencies; the page works without it (submit the form). */
(function () {
  "use strict";

  var form = document.getElementById("controls");
  var status = document.getElementById("live-status");

  function isoDay(first, offset) {
    var day = new Date(first + "T00:00:00Z");
    day.setUTCDate(day.getUTCDate() + offset);
    return day.toISOString().slice(0, 10);
  }

  function submit() {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  // The replay slider moves the "as of" date; releasing it (or a key) replays the page.
  var slider = document.getElementById("replay");
  var asOf = document.getElementById("as_of");
  var shown = document.getElementById("replay_out");
  if (slider && asOf) {
    slider.addEventListener("input", function () {
      var day = isoDay(slider.dataset.first, Number(slider.value));
      asOf.value = day;
      shown.textContent = day;
      slider.setAttribute("aria-valuetext", day);
    });
    slider.addEventListener("change", submit);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-autosubmit]"), function (el) {
    el.addEventListener("change", submit);
  });

  // Live: new events of this partnership, as the stream delivers them.
  var root = document.getElementById("dashboard");
  if (!root || !window.EventSource) { return; }
  var frozen = root.dataset.frozen === "1";
  var unseen = 0;
  var timer = null;
  var newest = [];

  function say(text) { if (status) { status.textContent = text; } }

  function refresh() {
    timer = null;
    fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(document.querySelectorAll("[data-region]"), function (el) {
          var next = fresh.getElementById(el.id);
          if (next) { el.replaceWith(document.importNode(next, true)); }
        });
        newest.forEach(function (position) {
          var item = document.querySelector('#timeline li[data-position="' + position + '"]');
          if (item) { item.classList.add("new"); }
        });
        newest = [];
      })
      .catch(function () { say("Live: could not refresh; reload the page"); });
  }

  var lastId = "";
  function connect() {
    var url = new URL(root.dataset.stream, window.location.href);
    if (lastId) { url.searchParams.set("after", lastId); }
    var source = new EventSource(url.toString());
    source.onopen = function () {
      say(frozen ? "Live (this view is as known on a past day)" : "Live");
    };
    source.onmessage = function (message) {
      lastId = message.lastEventId || lastId;
      var event = JSON.parse(message.data);
      var data = event.data || {};
      if (frozen) {
        unseen += 1;
        say("Live: " + unseen + " event(s) recorded since; clear “As known on” to include them");
        return;
      }
      say("New: " + (data.summary || event.type));
      newest.push(event.position);
      if (!timer) { timer = window.setTimeout(refresh, 250); }
    };
    source.onerror = function () {
      // Each response ends after a while and EventSource reconnects with Last-Event-ID by
      // itself; only a refusal (e.g. 503, the server is full) closes it: try again later.
      if (source.readyState === EventSource.CLOSED) {
        say("Live: reconnecting…");
        window.setTimeout(connect, 5000);
      }
    };
  }
  connect();
})();
