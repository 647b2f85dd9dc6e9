// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // A filter change shows its result at once (the Show button stays for keyboards and no-JS).
  for (const select of document.querySelectorAll("form.filters select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
});
