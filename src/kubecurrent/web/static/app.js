// Progressive enhancement only: every page works without this file.
// 1. Filter and target selects submit their form when changed.
// 2. While the fleet refreshes, the page reloads itself every 5 seconds.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select.autosubmit")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  if (document.querySelector("footer.status[data-refreshing]")) {
    window.setTimeout(() => window.location.reload(), 5000);
  }
});
