// Small progressive enhancements; every page works without this file.

// Parts that only work with JavaScript (class js-only) show once it runs.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // Bring the error summary to the keyboard and screen reader at once.
  const summary = document.getElementById("error-summary") || document.querySelector("#flashes .flash-error");
  if (summary) summary.focus();
});

// After htmx swaps in a form with errors, focus its summary too.
// What an htmx swap put in the page: an outerHTML swap leaves its target out of the page,
// replaced by the new element of the same id.
const swapped = (event) => {
  // (A page restored from history names its element, not a target.)
  const target = event.detail.target || event.detail.elt;
  if (!target) return document;
  if (target.isConnected) return target;
  return (target.id && document.getElementById(target.id)) || document;
};
document.addEventListener("htmx:afterSwap", (event) => {
  const summary = swapped(event).querySelector("#error-summary");
  if (summary) summary.focus();
});

// An htmx read the server refused or failed (too many searches, an error): the page itself,
// as without JavaScript, says what happened (htmx would leave the old results, silently).
document.addEventListener("htmx:responseError", (event) => {
  const config = event.detail.requestConfig;
  const path = event.detail.pathInfo && event.detail.pathInfo.finalRequestPath;
  if (config && config.verb === "get" && path) window.location.assign(path);
});

// FAQ panel of the agents: "Copy the answer" buttons (the text stays selectable without them).
function showCopyButtons(root) {
  if (!navigator.clipboard) return;
  root.querySelectorAll(".faq-copy-button[hidden]").forEach((button) => { button.hidden = false; });
}
document.addEventListener("DOMContentLoaded", () => showCopyButtons(document));
document.addEventListener("htmx:afterSwap", (event) => showCopyButtons(swapped(event)));
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

// An agent's session ends after a while without activity (idle.py). Warn before the end,
// with a button that asks for more time without leaving the page (WCAG 2.2.1); at the end,
// say so: sending a form then asks to sign in again and keeps what was typed.
(() => {
  const dialog = document.getElementById("idle-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const warnBefore = Number(dialog.dataset.warn);
  let timers = [];
  const show = (state) => {
    dialog.querySelectorAll("[data-state]").forEach((el) => { el.hidden = el.dataset.state !== state; });
    dialog.setAttribute("aria-labelledby", `idle-title-${state}`);
    if (!dialog.open) dialog.showModal();
    // The button of the state shown: the one that had focus may just have been hidden.
    const button = dialog.querySelector(`[data-state="${state}"] button`);
    if (button) button.focus();
    // A dialog already open is not read again: say the end through the live region.
    const announcer = document.getElementById("announcer");
    const text = dialog.querySelector(`p[data-state="${state}"]`);
    if (state === "ended" && announcer && text) announcer.textContent = text.textContent;
  };
  // Escape while warned means "I am here": it asks for more time, as the button does, rather
  // than closing the warning and leaving the session to end without another.
  dialog.addEventListener("cancel", (event) => {
    const keepAlive = dialog.querySelector("form[data-keep-alive]");
    if (!keepAlive.hidden) {
      event.preventDefault();
      keepAlive.requestSubmit();
    }
  });
  // Another tab may have kept the session alive: before warning or saying it ended, ask
  // the server how long is left (asking is no activity). No answer: trust the clock.
  const timeLeft = () => fetch(dialog.dataset.probe, {credentials: "same-origin", headers: {"HX-Request": "true"}})
    .then((response) => {
      const left = response.headers.get("X-Idle-Seconds-Left");
      return left === null ? 0 : Number(left);
    }, () => null);
  const schedule = (left) => {
    timers.forEach(clearTimeout);
    timers = [
      setTimeout(() => timeLeft().then((now) => {
        if (now === null || now <= warnBefore) show("warn"); else schedule(now);
      }), Math.max(0, left - warnBefore) * 1000),
      // One second more: the server counts whole seconds and ends the session after the limit.
      setTimeout(() => timeLeft().then((now) => {
        if (now === null || now <= 0) { show("ended"); return; }
        if (dialog.open) dialog.close();
        schedule(now);
      }), (left + 1) * 1000),
    ];
  };
  dialog.querySelector("form[data-keep-alive]").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: {"HX-Request": "true"},
    }).then((response) => {
      const left = response.headers.get("X-Idle-Seconds-Left");
      if (response.ok && left !== null) {
        schedule(Number(left));
        dialog.close();
      } else {
        show("ended");
      }
    }, () => show("ended"));
  });
  // Any htmx request counts as activity: the server says how long is left now.
  document.addEventListener("htmx:afterRequest", (event) => {
    const left = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Idle-Seconds-Left");
    if (left !== null && left !== undefined) schedule(Number(left));
  });
  schedule(Number(dialog.dataset.secondsLeft));
})();

// When htmx replaces the control that had focus (a pager link, a feedback button), focus
// would fall to the page's start. Move it to the new content instead: the element marked
// data-focus-after-swap (a list, a table, a message), else the swapped block itself.
let focusedBeforeSwap = null;
document.addEventListener("htmx:beforeSwap", () => { focusedBeforeSwap = document.activeElement; });
document.addEventListener("htmx:afterSettle", (event) => {
  const lost = focusedBeforeSwap && focusedBeforeSwap !== document.body && !focusedBeforeSwap.isConnected;
  const lostId = lost ? focusedBeforeSwap.id : "";
  focusedBeforeSwap = null;
  if (!lost || (document.activeElement && document.activeElement !== document.body)) return;
  // The same control drawn again (a list that narrows the next one): back to it.
  const again = lostId ? document.getElementById(lostId) : null;
  if (again) { again.focus(); return; }
  const id = event.detail.target && event.detail.target.id;
  const block = id ? document.getElementById(id) : null;
  if (!block) return;
  const goal = block.querySelector("[data-focus-after-swap]") || block;
  if (!goal.hasAttribute("tabindex")) goal.setAttribute("tabindex", "-1");
  goal.focus();
});

// A list's filters form follows the address: a filter chip or a column's sort link
// changes the list and the address (hx-push-url) without going through the form, whose
// fields must then show what the list shows, or the next change would send them back.
// The field being typed in is left alone (its request may still be on its way).
document.addEventListener("htmx:pushedIntoHistory", () => {
  const params = new URLSearchParams(window.location.search);
  document.querySelectorAll("form[data-follows-url]").forEach((form) => {
    for (const field of form.elements) {
      if (!field.name || field === document.activeElement) continue;
      if (field.type === "submit" || field.type === "hidden" || field.type === "button") continue;
      const value = params.get(field.name) || "";
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = params.getAll(field.name).includes(field.value);
      } else if (field.tagName === "SELECT") {
        const known = Array.from(field.options).some((option) => option.value === value);
        const fallback = field.querySelector("option[data-default]") || field.options[0];
        field.value = known ? value : fallback.value;
      } else {
        field.value = value;
      }
    }
  });
});

// Service numbers: the hold's countdown (the server ends the hold whatever this shows). It
// says at two minutes left, and at the end, what happens, through the live region.
(() => {
  const timer = document.querySelector(".countdown[data-seconds-left]");
  if (!timer) return;
  const value = timer.querySelector(".countdown-value");
  const announcer = document.getElementById("announcer");
  const end = Date.now() + Number(timer.dataset.secondsLeft) * 1000;
  let warned = false;
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    value.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (left <= 120 && !warned && announcer) { warned = true; announcer.textContent = timer.dataset.warn; }
    if (left === 0) {
      if (announcer) announcer.textContent = timer.dataset.ended;
      timer.textContent = timer.dataset.ended;
      document.querySelectorAll(".acquire-form button[type=submit], .extend-form button[type=submit]").forEach((b) => { b.disabled = true; });
      return;
    }
    setTimeout(tick, 1000);
  };
  tick();
})();

// Translators, "show translations": mark each text of the page that the list at its foot
// names, and open its entry in the workspace on a click (Alt+click on a link or a button,
// which keep their own click). Without JavaScript the list's links do the same.
function markTranslations() {
  const list = document.getElementById("in-context");
  if (!list) return;
  const entries = new Map();
  list.querySelectorAll("a[data-text]").forEach((link) => {
    entries.set(link.dataset.text.trim(), link.getAttribute("href"));
  });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(".in-context, script, style, textarea, option, [data-entry]")) continue;
    const href = entries.get(node.textContent.trim());
    if (href) found.push([parent, href]);
  }
  found.forEach(([element, href]) => {
    element.dataset.entry = href;
    element.classList.add("translated-text");
  });
}
document.addEventListener("DOMContentLoaded", markTranslations);
document.addEventListener("htmx:afterSettle", markTranslations);
document.addEventListener("click", (event) => {
  const marked = event.target.closest("[data-entry]");
  if (!marked) return;
  const interactive = marked.closest("a, button, label, summary, input, select");
  if (interactive && !event.altKey) return;
  event.preventDefault();
  window.location.assign(marked.dataset.entry);
});
