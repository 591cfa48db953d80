// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Bring the error summary to the keyboard and screen reader at once.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});

// After htmx swaps in a form with errors, focus its summary too.
document.addEventListener("htmx:afterSwap", (event) => {
  const summary = event.detail.target.querySelector("#error-summary");
  if (summary) summary.focus();
});
