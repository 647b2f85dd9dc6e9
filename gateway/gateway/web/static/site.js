// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // A filter change shows its result at once (the Show button stays for keyboards and no-JS).
  for (const select of document.querySelectorAll("form.filters select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});

// A deadline's countdown ("in 3 days") ticks on while the page is open; the server wrote the
// first value, in the same words (Intl.RelativeTimeFormat in the page's language).
document.addEventListener("DOMContentLoaded", () => {
  const countdowns = document.querySelectorAll(".countdown[data-due]");
  if (!countdowns.length || !window.Intl || !Intl.RelativeTimeFormat) return;
  const words = new Intl.RelativeTimeFormat(document.documentElement.lang || "uk");
  // Babel's units and sizes, so the words stay the server's (format_timedelta, threshold 1)
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
                 ["hour", 3600], ["minute", 60], ["second", 1]];
  const tick = () => {
    for (const element of countdowns) {
      const seconds = (Date.parse(element.dataset.due) - Date.now()) / 1000;
      if (Number.isNaN(seconds)) continue;
      const [unit, size] = units.find(([, size]) => Math.abs(seconds) >= size)
        || units[units.length - 1];
      element.textContent = words.format(Math.round(seconds / size), unit);
    }
  };
  setInterval(tick, 30000);
});
