// Progressive enhancement only: every page works without this file.
// 1. Filter and target selects submit their form when changed.
// 2. While the fleet refreshes, the page reloads itself every 5 seconds.
// 3. A rollout page follows its rollout: the server sends the snapshot (server-sent events)
//    whenever it changes; the status line is updated from it and the progress section is
//    fetched again, rendered by the server (so it needs no template of its own here).
"use strict";

function describe(snap) {
  const all = snap.waves.flatMap((w) => w.clusters);
  const done = all.filter((c) => c.state === "done").length;
  const detail = snap.detail ? ` — ${snap.detail}` : "";
  return `${snap.state}${detail} (${done} of ${all.length} clusters done)`;
}

function follow(section) {
  const status = document.getElementById("rollout-status");
  const source = new EventSource(section.dataset.events);
  let busy = false;
  let again = false;
  const typing = () => {
    const active = document.activeElement;
    return active && section.contains(active) && active.matches("input, textarea");
  };
  const swap = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const answer = await fetch(section.dataset.fragment, { credentials: "same-origin" });
      if (answer.redirected) { window.location.reload(); return; }  // logged out meanwhile
      if (answer.ok && !typing()) {
        section.innerHTML = await answer.text();
        section.dataset.updated = String(Date.now());
        // The fragment may be newer than the event that asked for it: it has the last word.
        const fresh = section.querySelector("[data-status]");
        if (status && fresh) status.textContent = fresh.dataset.status;
      } else if (answer.ok) {
        again = true;  // not while someone types a note; next time
      }
    } finally {
      busy = false;
      if (again && !typing()) { again = false; swap(); }
    }
  };
  source.addEventListener("snapshot", (event) => {
    const snap = JSON.parse(event.data);
    if (status) status.textContent = describe(snap);
    swap();
  });
  source.addEventListener("end", () => source.close());
  section.addEventListener("focusout", () => { if (again) { again = false; swap(); } });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select.autosubmit")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  if (document.querySelector("footer.status[data-refreshing]")) {
    window.setTimeout(() => window.location.reload(), 5000);
  }
  const section = document.querySelector("section[data-events]");
  if (section && "EventSource" in window) follow(section);
});
