// hnet's one visual language: type, colours, spacing and the look of its common components, declared
// once and used by both pages a person sees: the window (the renderer imports it through Vite, see
// src-renderer/vite.config.ts) and the server's dashboard (src-server/dashboard/ui-assets.ts puts it
// first in its stylesheet). Each page adds only its own layout after it. Plain CSS text: both pages
// allow styles only from their own files, and this is served as one.
// Pure: no I/O, so the server and the renderer build may both import it.

/** Colours by role; the accent is the app icon's disc (app-icon.ts). */
const light = {
  bg: '#f5f6f8',
  panel: '#ffffff',
  text: '#1b1f24',
  muted: '#5f6b76',
  line: '#dde1e6',
  accent: '#0b6bcb',
  'accent-soft': '#e8f1fb',
  'on-accent': '#ffffff',
  good: '#1a7f37',
  warn: '#9a6700',
  'warn-soft': '#fff6dd',
  bad: '#c62828',
  'bad-soft': '#fdecea',
};
const dark: typeof light = {
  bg: '#15171a',
  panel: '#1e2125',
  text: '#e6e8ea',
  muted: '#9aa3ab',
  line: '#32363c',
  accent: '#4d9de8',
  'accent-soft': '#16283b',
  'on-accent': '#0b1520',
  good: '#3fb950',
  warn: '#d29922',
  'warn-soft': '#2c2410',
  bad: '#f85149',
  'bad-soft': '#331617',
};

const scale = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif',
  'font-mono': 'ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace',
  'text-xs': '12px',
  'text-sm': '13px',
  'text-md': '14px',
  'text-lg': '16px',
  'text-xl': '20px',
  'space-1': '4px',
  'space-2': '8px',
  'space-3': '12px',
  'space-4': '16px',
  'space-5': '24px',
  radius: '8px',
  'radius-sm': '6px',
};

const vars = (values: Record<string, string>): string =>
  Object.entries(values)
    .map(([name, value]) => `  --${name}: ${value};`)
    .join('\n');

const tokens = `:root {
  color-scheme: light dark;
${vars(scale)}
${vars(light)}
}
@media (prefers-color-scheme: dark) {
  :root {
${vars(dark)}
  }
}`;

// The components both pages share. Class names are the ones both already use: .muted, .error,
// button.quiet / .danger / .primary (a form's submit button is primary too), .callout (a secret or a key to look at), .badge with data-tone.
const components = `
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: var(--text-md)/1.45 var(--font); color: var(--text); background: var(--bg); }
h1 { font-size: var(--text-xl); margin: var(--space-2) 0; }
h2 { font-size: var(--text-lg); margin: 0 0 var(--space-3); }
h3 { font-size: var(--text-md); margin: var(--space-3) 0 var(--space-2); }
h4 { font-size: var(--text-sm); margin: var(--space-3) 0 var(--space-1); color: var(--muted); }
p { margin: var(--space-2) 0; }
a { color: var(--accent); }
code, .mono { font-family: var(--font-mono); font-size: var(--text-sm); overflow-wrap: anywhere; }
section, .card {
  background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius);
  padding: var(--space-4) var(--space-5);
}
button, .button {
  display: inline-flex; align-items: center; gap: var(--space-1);
  font: inherit; line-height: 1.2; padding: 7px 14px; border-radius: var(--radius-sm);
  border: 1px solid var(--line); background: var(--panel); color: var(--text);
  cursor: pointer; text-decoration: none;
}
button:hover:not(:disabled), .button:hover { border-color: var(--accent); }
button:focus-visible, .button:focus-visible, input:focus-visible, select:focus-visible {
  outline: 2px solid var(--accent); outline-offset: 1px;
}
button.primary, .button.primary, button[type='submit'] { background: var(--accent); border-color: var(--accent); color: var(--on-accent); }
button.quiet, .button.quiet { background: var(--panel); color: var(--text); border-color: var(--line); }
button.danger { background: var(--panel); color: var(--bad); border-color: var(--line); }
button.danger:hover:not(:disabled) { border-color: var(--bad); }
button:disabled { opacity: 0.55; cursor: default; }
button.copy { font-size: var(--text-xs); padding: 2px 8px; }
input, select {
  font: inherit; padding: 7px 10px; border-radius: var(--radius-sm);
  border: 1px solid var(--line); background: var(--bg); color: var(--text); min-width: 0;
}
.field, form label { display: grid; gap: var(--space-1); font-size: var(--text-sm); color: var(--muted); }
.field .label { font-weight: 600; color: var(--text); }
.field .hint { font-size: var(--text-xs); }
.field input, .field select { font-size: var(--text-md); color: var(--text); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: var(--space-2); border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: var(--text-xs); color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; }
.muted, .empty { color: var(--muted); }
.small { font-size: var(--text-xs); }
.error, .feedback.error { color: var(--bad); }
.feedback.done { color: var(--good); }
.callout, .secret {
  background: var(--accent-soft); border: 1px solid var(--accent); border-radius: var(--radius-sm);
  padding: var(--space-3) var(--space-4); margin: var(--space-3) 0; overflow-wrap: anywhere;
}
.badge {
  display: inline-block; font-size: var(--text-xs); font-weight: 600; padding: 2px 8px;
  border-radius: 999px; border: 1px solid currentColor;
}
[data-tone='good'] { color: var(--good); }
[data-tone='warn'] { color: var(--warn); }
[data-tone='bad'] { color: var(--bad); }
[data-tone='muted'] { color: var(--muted); }
.logo { display: inline-flex; align-items: center; gap: var(--space-2); font-weight: 700; }
`;

/** The shared stylesheet: tokens first, then the components built from them. */
export const designCss = `${tokens}\n${components}`;
