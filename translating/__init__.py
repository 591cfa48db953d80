"""The translators' workspace: the locale files edited in the browser.

The `.po` files in the translations folder stay the source of truth. `catalogs` reads
them (cached by each file's modification), lists the entries of a locale with their state,
and saves one entry: checked (`checks`, the rules `flask translate check` applies), written
atomically under a lock with optimistic concurrency, compiled, and recorded in the audit
trail. Every worker then serves the new text on its next request (`i18n.FallbackDomain`
watches the compiled files)."""
