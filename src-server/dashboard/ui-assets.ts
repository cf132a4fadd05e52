// The dashboard's web UI: one page, one script, one stylesheet, no build step and no framework. The
// script talks only to the REST API (api-routes.ts), builds the page with DOM calls (never
// innerHTML, so names from users cannot inject markup) and sends the session's CSRF token with
// every change. The CSP (http-kit.ts) allows nothing but these files.
import { appIconSvg } from '../../src-shared/app-icon.js';
import { designCss } from '../../src-shared/design-tokens.js';

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hnet dashboard</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header><span class="logo">hnet</span><span id="server-name"></span><span id="who"></span></header>
<main id="app"><p class="muted">Loading…</p></main>
<footer id="fingerprint"></footer>
</body>
</html>
`;

// The shared design tokens and components (the desktop window uses the same), then the dashboard's
// own layout. The logo is hnet's icon (app-icon.ts), served as /icon.svg.
const APP_CSS = `${designCss}
body > header { display: flex; gap: var(--space-4); align-items: center; padding: var(--space-3) var(--space-5); background: var(--panel); border-bottom: 1px solid var(--line); }
header .logo { font-size: var(--text-xl); color: var(--text); }
header .logo::before { content: ''; width: 24px; height: 24px; background: url(/icon.svg) center / contain no-repeat; }
header #server-name { color: var(--muted); }
header #who { margin-left: auto; display: flex; gap: var(--space-2); align-items: center; }
main { max-width: 1040px; margin: var(--space-5) auto; padding: 0 var(--space-4); display: grid; gap: var(--space-4); }
footer { max-width: 1040px; margin: 0 auto var(--space-5); padding: 0 var(--space-4); color: var(--muted); font-size: var(--text-sm); }
form { display: flex; gap: var(--space-2); flex-wrap: wrap; align-items: end; margin: var(--space-2) 0; }
form input, form select { min-width: 12rem; font-size: var(--text-md); color: var(--text); }
td { vertical-align: middle; }
td:last-child { white-space: nowrap; text-align: right; }
td input { min-width: 8rem; }
td.mono, td:first-child { white-space: nowrap; }
.error { min-height: 1.2em; margin: var(--space-1) 0 0; }
.networks { display: grid; grid-template-columns: minmax(12rem, 16rem) minmax(0, 1fr); gap: var(--space-4); }
.networks ul { list-style: none; margin: 0; padding: 0; }
.networks li button { width: 100%; justify-content: flex-start; margin-bottom: var(--space-1); }
.networks li button.selected { border-color: var(--accent); color: var(--accent); background: var(--accent-soft); }
.signin { max-width: 26rem; margin: var(--space-5) auto; width: 100%; }
.signin form { display: grid; }
@media (max-width: 800px) { .networks { grid-template-columns: 1fr; } table { display: block; overflow-x: auto; } }
`;

const APP_JS = `'use strict';
const state = { csrf: null, account: null, server: null, selected: null, revealed: null, setupToken: null };

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child);
  return el;
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || 'The server answered ' + response.status + '.');
  return data;
}

function formOf(fields, submitText, onSubmit, extra) {
  const error = h('p', { class: 'error', role: 'alert' });
  const inputs = fields.map((f) => f.options
    ? h('select', { name: f.name, required: true }, f.options.map((o) => h('option', { value: o.value, selected: o.value === f.value }, o.text)))
    : h('input', { name: f.name, type: f.type || 'text', placeholder: f.placeholder || '', required: true, autocomplete: f.autocomplete || 'off', value: f.value }));
  const form = h('form', { onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = '';
    const values = Object.fromEntries(inputs.map((i) => [i.name, i.value]));
    try { await onSubmit(values); } catch (e) { error.textContent = e.message; }
  } }, fields.map((f, i) => h('label', {}, f.label, inputs[i])), h('button', { type: 'submit' }, submitText), extra || null);
  return h('div', {}, form, error);
}

function actionButton(text, cls, action) {
  return h('button', { class: cls, type: 'button', onclick: async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try { await action(); } catch (e) { alert(e.message); } finally { button.disabled = false; }
  } }, text);
}

function when(ms) { return new Date(ms).toLocaleString(); }

// hnet-server's setup link carries its one-time token in the #fragment, which no request sends;
// it is taken out of the address bar (and so the history) at once.
function takeSetupToken() {
  const match = /(?:^#|&)setup=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match) history.replaceState(null, '', location.pathname + location.search);
  return match ? match[1] : null;
}

function signedIn(result) {
  state.csrf = result.csrfToken;
  state.account = result.account;
  return render();
}

function firstAccountView() {
  const fields = [
    { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
    { name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password' },
  ];
  if (!state.setupToken) fields.push({ name: 'setupToken', label: 'Setup token' });
  return h('section', { class: 'signin' },
    h('h2', {}, 'Create the owner account'),
    h('p', { class: 'muted' }, state.setupToken
      ? 'This server has no account yet. The setup link you opened lets you create the first one.'
      : 'This server has no account yet. The first one needs the setup token hnet-server printed when it started (in its output and log); opening the link it printed fills it in.'),
    formOf(fields, 'Create account', async (values) => {
      const result = await api('POST', '/api/signup', { setupToken: state.setupToken, ...values });
      state.setupToken = null;
      state.server.claimed = true;
      await signedIn(result);
    }));
}

function signInView() {
  if (!state.server.claimed) return firstAccountView();
  let creating = false;
  const box = h('section', { class: 'signin' });
  const draw = () => {
    box.replaceChildren(
      h('h2', {}, creating ? 'Create an account' : 'Sign in'),
      formOf([
        { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
        { name: 'password', label: 'Password', type: 'password', autocomplete: creating ? 'new-password' : 'current-password' },
      ], creating ? 'Create account' : 'Sign in', async (values) => {
        await signedIn(await api('POST', creating ? '/api/signup' : '/api/login', values));
      }),
      state.server.signupOpen
        ? h('p', { class: 'muted' }, creating ? 'Have an account? ' : 'New here? ',
            h('button', { class: 'quiet', type: 'button', onclick: () => { creating = !creating; draw(); } }, creating ? 'Sign in' : 'Create an account'))
        : null,
    );
  };
  draw();
  return box;
}

async function networksSection() {
  const networks = await api('GET', '/api/networks');
  const devices = await api('GET', '/api/devices');
  if (!networks.some((n) => n.id === state.selected)) state.selected = networks[0] ? networks[0].id : null;
  const detail = state.selected ? await api('GET', '/api/networks/' + state.selected) : null;
  const list = h('ul', {}, networks.map((n) => h('li', {}, h('button', {
    class: 'quiet' + (n.id === state.selected ? ' selected' : ''), type: 'button',
    onclick: () => { state.selected = n.id; render(); },
  }, n.name + ' (' + n.deviceCount + ')'))));
  const create = formOf([{ name: 'name', label: 'New network' }], 'Create network', async (values) => {
    const network = await api('POST', '/api/networks', values);
    state.selected = network.id;
    await render();
  });
  let body = h('p', { class: 'muted' }, 'Create a network, then a join code for it: devices that join with the code are in the network at once and reach each other by name.');
  if (detail) {
    const inNetwork = new Set(detail.devices.map((d) => d.address));
    const candidates = devices.filter((d) => !inNetwork.has(d.address));
    const picker = h('select', { name: 'address', 'aria-label': 'Device to add' }, candidates.map((d) => h('option', { value: d.address }, d.hostname + ' — ' + d.address)));
    body = h('div', {},
      h('h3', {}, detail.name, detail.owned ? null : h('span', { class: 'muted' }, ' · shared by ' + detail.ownerEmail)),
      h('table', {}, h('tr', {}, h('th', {}, 'Device'), h('th', {}, 'Address'), h('th', {}, 'Owner'), h('th', {})),
        detail.devices.map((d) => h('tr', {}, h('td', {}, d.hostname), h('td', { class: 'mono' }, d.address), h('td', {}, d.ownerEmail),
          h('td', {}, actionButton('Remove', 'danger', async () => { await api('DELETE', '/api/networks/' + detail.id + '/devices/' + encodeURIComponent(d.address)); await render(); }))))),
      detail.devices.length === 0 ? h('p', { class: 'muted' }, 'No devices yet. Create a join code for this network below and run "hnet join <code>" on each device.') : null,
      candidates.length > 0
        ? h('form', { onsubmit: async (event) => { event.preventDefault(); try { await api('POST', '/api/networks/' + detail.id + '/devices', { address: picker.value }); await render(); } catch (e) { alert(e.message); } } },
            h('label', {}, 'Add one of your devices', picker), h('button', { type: 'submit' }, 'Add device'))
        : detail.devices.length === 0 ? null : h('p', { class: 'muted' }, 'All your devices are in this network. Join more with a join code for it.'),
      detail.owned ? h('div', {},
        h('h3', {}, 'Shared with'),
        detail.sharedWith.length === 0 ? h('p', { class: 'muted' }, 'Nobody else.') : h('ul', {}, detail.sharedWith.map((email) => h('li', {}, email, ' ',
          actionButton('Stop sharing', 'quiet', async () => { await api('DELETE', '/api/networks/' + detail.id + '/shares/' + encodeURIComponent(email)); await render(); })))),
        formOf([{ name: 'email', label: 'Share with (account email)', type: 'email' }], 'Share', async (values) => { await api('POST', '/api/networks/' + detail.id + '/shares', values); await render(); }),
        actionButton('Delete network', 'danger', async () => { if (confirm('Delete the network ' + detail.name + '?')) { await api('DELETE', '/api/networks/' + detail.id); state.selected = null; await render(); } }),
      ) : null,
    );
  }
  return h('section', { 'aria-label': 'Networks' }, h('h2', {}, 'Networks'), h('div', { class: 'networks' }, h('div', {}, list, create), body));
}

async function devicesSection() {
  const devices = await api('GET', '/api/devices');
  const codes = new Map((await api('GET', '/api/join-codes')).map((c) => [c.id, c.label]));
  return h('section', { 'aria-label': 'Devices' }, h('h2', {}, 'Devices'),
    devices.length === 0 ? h('p', { class: 'muted' }, 'No devices yet. Create a join code below and run "hnet join <code>" on a device.') :
    h('table', {}, h('tr', {}, h('th', {}, 'Hostname'), h('th', {}, 'Address'), h('th', {}, 'Joined with'), h('th', {}, 'Last seen'), h('th', {})),
      devices.map((d) => {
        const name = h('input', { value: d.hostname, 'aria-label': 'Hostname of ' + d.address });
        return h('tr', {}, h('td', {}, name), h('td', { class: 'mono' }, d.address), h('td', {}, codes.get(d.joinCodeId) || '—'), h('td', {}, when(d.lastSeenAt)),
          h('td', {}, actionButton('Rename', 'quiet', async () => { await api('PATCH', '/api/devices/' + encodeURIComponent(d.address), { hostname: name.value }); await render(); }), ' ',
            actionButton('Forget', 'danger', async () => { if (confirm('Forget ' + d.hostname + '? It leaves every network.')) { await api('DELETE', '/api/devices/' + encodeURIComponent(d.address)); await render(); } })));
      })));
}

function revealed(kind) {
  return state.revealed && state.revealed.kind === kind
    ? h('p', { class: 'secret' }, state.revealed.note, h('br'), h('code', { 'data-secret': kind }, state.revealed.text))
    : null;
}

async function codesSection() {
  const codes = await api('GET', '/api/join-codes');
  const networks = await api('GET', '/api/networks');
  // With no network yet, the code's network is made with it, under a name the owner can change here.
  const network = networks.length === 0
    ? { name: 'networkName', label: 'Network', value: 'My network' }
    : { name: 'networkId', label: 'Network', value: state.selected, options: networks.map((n) => ({ value: n.id, text: n.name })) };
  return h('section', { 'aria-label': 'Join codes' }, h('h2', {}, 'Join codes'),
    h('p', { class: 'muted' }, 'A device that runs "hnet join <code> [hostname]" joins your account and the code’s network at once, and reaches that network’s devices by name. Anyone with the code can add devices: keep it like a password, and revoke it when you no longer need it.'),
    revealed('join-code'),
    formOf([{ name: 'label', label: 'Label', placeholder: 'e.g. lab machines' }, network], 'Create join code', async (values) => {
      const networkId = values.networkId || (await api('POST', '/api/networks', { name: values.networkName })).id;
      const created = await api('POST', '/api/join-codes', { label: values.label, networkId });
      state.selected = networkId;
      state.revealed = { kind: 'join-code', text: created.joinCode, note: 'Copy this join code now; it is not shown again. Devices that join with it go into ' + created.networkName + '.' };
      await render();
    }),
    codes.length === 0 ? null : h('table', {},
      h('tr', {}, h('th', {}, 'Label'), h('th', {}, 'Network'), h('th', {}, 'Devices joined with it'), h('th', {}, 'Created'), h('th', {})),
      codes.map((c) => h('tr', { class: c.revokedAt ? 'muted' : null }, h('td', {}, c.label), h('td', {}, c.networkName || 'none (account only)'),
        h('td', {}, c.devices.length === 0 ? 'none yet' : c.devices.map((d) => d.hostname).join(', ')), h('td', {}, when(c.createdAt)),
        h('td', {}, c.revokedAt ? 'revoked ' + when(c.revokedAt) : actionButton('Revoke', 'danger', async () => { await api('DELETE', '/api/join-codes/' + c.id); await render(); }))))));
}

async function tokensSection() {
  const tokens = await api('GET', '/api/tokens');
  return h('section', { 'aria-label': 'API tokens' }, h('h2', {}, 'API tokens'),
    h('p', { class: 'muted' }, 'Scripts call the same API as this page with "Authorization: Bearer <token>".'),
    revealed('api-token'),
    formOf([{ name: 'name', label: 'Token name' }], 'Create token', async (values) => {
      const created = await api('POST', '/api/tokens', values);
      state.revealed = { kind: 'api-token', text: created.token, note: 'Copy this token now; only its hash is kept.' };
      await render();
    }),
    h('table', {}, tokens.map((t) => h('tr', {}, h('td', {}, t.name), h('td', { class: 'muted' }, t.lastUsedAt ? 'last used ' + when(t.lastUsedAt) : 'never used'),
      h('td', {}, actionButton('Delete', 'danger', async () => { await api('DELETE', '/api/tokens/' + t.id); await render(); }))))));
}

async function render() {
  const app = document.getElementById('app');
  const who = document.getElementById('who');
  if (!state.account) {
    who.replaceChildren();
    app.replaceChildren(signInView());
    return;
  }
  who.replaceChildren(h('span', { class: 'muted' }, state.account.email),
    actionButton('Sign out', 'quiet', async () => { await api('POST', '/api/logout'); state.account = null; state.csrf = null; await render(); }));
  const sections = [await networksSection(), await devicesSection(), await codesSection(), await tokensSection()];
  state.revealed = null;
  app.replaceChildren(...sections);
}

async function start() {
  state.setupToken = takeSetupToken();
  state.server = await api('GET', '/api/server');
  document.getElementById('server-name').textContent = state.server.name;
  // Over plain HTTP anyone on the way could show another fingerprint here: then the page says where
  // the one to trust comes from.
  const overHttp = location.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(location.hostname);
  document.getElementById('fingerprint').textContent = 'Server key fingerprint: ' + state.server.fingerprint + ' — compare it when a device sets up this server.' +
    (overHttp ? ' This page came over plain HTTP, which anyone on the way can change: trust the fingerprint hnet-server printed when it started (or its log), not this page.' : '');
  try {
    const session = await api('GET', '/api/session');
    state.account = session.account;
    state.csrf = session.csrfToken;
  } catch {
    state.account = null;
  }
  await render();
}

start();
`;

export interface UiAsset {
  body: string;
  type: string;
}

export const uiAssets: ReadonlyMap<string, UiAsset> = new Map([
  ['/', { body: INDEX_HTML, type: 'text/html; charset=utf-8' }],
  ['/app.js', { body: APP_JS, type: 'text/javascript; charset=utf-8' }],
  ['/app.css', { body: APP_CSS, type: 'text/css; charset=utf-8' }],
  ['/icon.svg', { body: appIconSvg(), type: 'image/svg+xml' }],
]);
