// A run page keeps itself current while its run goes on: it polls /api/runs/<id>/status,
// recolours the step graph and the badges, and reloads the page when a step starts or the run ends.
(function () {
  "use strict";
  var box = document.getElementById("run");
  if (!box || box.dataset.status !== "running") return;
  var id = box.dataset.runId;
  var live = document.createElement("span");
  live.className = "live";
  live.textContent = "live: updating while the run goes on";
  var heading = document.querySelector("main h1");
  if (heading) heading.appendChild(live);

  function setBadge(el, status) {
    el.className = "badge status-" + status;
    el.textContent = status;
  }

  function apply(data) {
    var known = document.querySelectorAll("svg.graph .node");
    var changed = false;
    known.forEach(function (node) {
      var step = data.step_status[node.dataset.step];
      if (step && step.status !== node.dataset.status) {
        node.dataset.status = step.status;
        node.setAttribute("class", "node status-" + step.status);
        var label = node.querySelector(".step-state");
        if (label) label.textContent = step.status;
        changed = true;
      }
    });
    var newSteps = Object.keys(data.step_status).length !== known.length;
    var badge = document.querySelector(".run-status .badge");
    if (badge) setBadge(badge, data.status);
    box.dataset.status = data.status;
    if (newSteps || changed || data.status !== "running") {
      window.location.reload();  // new steps, logs, artifacts or the error: draw the page afresh
      return false;
    }
    return true;
  }

  function poll() {
    fetch("/api/runs/" + encodeURIComponent(id) + "/status", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (!data || apply(data)) window.setTimeout(poll, 1000); })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
