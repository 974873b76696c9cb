/* Tally beacon: <script src="https://TALLY/tally.js" data-entity="video:42" data-type="view" data-key="tly_pk_…" async></script>
   sends one event per page view to the server it was loaded from; data-key (a publishable key) is
   needed once the server requires keys. No dependencies. */
(function () {
  var s = document.currentScript, e = s && s.getAttribute("data-entity"), k = s && s.getAttribute("data-key");
  if (!e) return;
  var r = crypto.getRandomValues(new Uint8Array(16)), id = "b-";
  for (var i = 0; i < 16; i++) id += (r[i] + 256).toString(16).slice(1);
  var u = new URL(s.src).origin + "/v1/events" + (k ? "?key=" + encodeURIComponent(k) : ""),
      b = JSON.stringify({ id: id, entity: e, type: s.getAttribute("data-type") || "view" });
  if (!(navigator.sendBeacon && navigator.sendBeacon(u, b)))
    fetch(u, { method: "POST", body: b, keepalive: true, mode: "no-cors" });
})();
