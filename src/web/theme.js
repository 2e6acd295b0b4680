// Applies the theme chosen with the toggle before the page paints (no flash of the other theme). Without a choice
// the CSS follows prefers-color-scheme. A classic script, not a module, so it runs before first paint.
try {
  const chosen = window.localStorage.getItem('orderflow-theme');
  if (chosen === 'dark' || chosen === 'light') document.documentElement.dataset.theme = chosen;
} catch {
  // Storage can be unavailable (private mode, blocked): the CSS default applies.
}
