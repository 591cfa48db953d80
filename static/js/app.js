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

// FAQ panel of the agents: "Copy the answer" buttons (the text stays selectable without them).
function showCopyButtons(root) {
  if (!navigator.clipboard) return;
  root.querySelectorAll(".faq-copy-button[hidden]").forEach((button) => { button.hidden = false; });
}
document.addEventListener("DOMContentLoaded", () => showCopyButtons(document));
document.addEventListener("htmx:afterSwap", (event) => showCopyButtons(event.detail.target));
document.addEventListener("click", (event) => {
  const button = event.target.closest(".faq-copy-button");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.value).then(() => {
    button.textContent = button.dataset.done;
  });
});

// Wide screens: the menu is open (CSS shows it in browsers that can; this opens it in the
// others). Narrow screens keep it folded until asked.
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector("details[data-wide-open]");
  if (menu && window.matchMedia("(min-width: 64rem)").matches) menu.open = true;
});
