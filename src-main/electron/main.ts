// The desktop app's main process: one instance per user, an engine (the machine's hnetd, or one
// of its own), the tray, and a window that shows only our own page and can reach nothing but
// the IPC bridge. Everything with a decision in it lives in its own module and is tested under
// Node; this file wires those modules to Electron.
import './packaged-paths.js';
import {
  app,
  clipboard,
  dialog,
  ipcMain,
  Notification,
  protocol,
  session,
  shell,
  type Session,
} from 'electron';
import { join } from 'node:path';
import { loadConfig, createLogger, type Logger, PersistedJson } from '../engine/client.js';
import { errorText } from '../contract/errors.js';
import { HelperClient } from '../../src-helper/api/helper-client.js';
import type { Status } from '../contract/status.js';
import { boolean, object } from '../../src-shared/validate.js';
import { isAutostartOn, setAutostart } from './autostart.js';
import { createBridgeBackend } from '../ui-host/bridge-backend.js';
import { findAppFile } from '../ui-host/app-files.js';
import { findHelperBundle, helperInstaller } from '../ui-host/helper-install.js';
import { hnetServerCommand, isPrivileged, LocalServerHost } from '../ui-host/local-server-host.js';
import { attachOrHostEngine, desktopConfig, type EngineHost } from '../ui-host/engine-host.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, forwardEvents, registerIpcHandlers } from './ipc-handlers.js';
import { NotificationController } from './notification-controller.js';
import { readRendererFile, rendererDir, securityHeaders } from '../ui-host/renderer-files.js';
import { createShellHandlers } from '../ui-host/shell-handlers.js';
import { knownPages, mayOpen } from './external-links.js';
import { TrayController } from './tray.js';
import type { TrayActions } from './tray-menu.js';
import { WindowController } from './window-controller.js';

const settingsSchema = object({ notifications: boolean });

// Must run before "ready": app:// behaves like a secure, standard origin (CSP 'self' works).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);

/**
 * No permissions, no navigation, no new windows, no webviews, no requests but our own files. A link
 * the page opens goes to the system browser, and only if `openOutside` accepts it (external-links.ts).
 */
function lockDown(ses: Session, log: Logger, openOutside: (url: string) => void): void {
  ses.setPermissionRequestHandler((_contents, permission, answer) => {
    log.warn('permission-refused', { permission });
    answer(false);
  });
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, answer) => {
    const ours = details.url.startsWith(`${APP_ORIGIN}/`) || details.url.startsWith('devtools://');
    if (!ours) log.warn('request-blocked', { url: details.url.slice(0, 200) });
    answer({ cancel: !ours });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openOutside(url);
      return { action: 'deny' };
    });
  });
}

function serveRenderer(log: Logger): void {
  const dir = rendererDir();
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = dir && url.host === APP_HOST ? await readRendererFile(dir, url.pathname) : undefined;
    if (!file) {
      log.warn('renderer-file-missing', { url: request.url, built: dir !== undefined });
      return new Response('not found', { status: 404, headers: securityHeaders([]) });
    }
    return new Response(new Uint8Array(file.body), {
      headers: { ...securityHeaders([]), 'Content-Type': file.contentType },
    });
  });
}

async function connectEngine(log: Logger): Promise<EngineHost> {
  const system = await loadConfig({ env: process.env });
  const own = await desktopConfig(process.env, app.getPath('userData'));
  if (!system.ok) throw new Error(system.error.message);
  if (!own.ok) throw new Error(own.error.message);
  const host = await attachOrHostEngine({
    systemSocket: system.value.controlSocket,
    ownConfig: own.value,
    log,
  });
  if (!host.ok) throw new Error(host.error.message);
  return host.value;
}

async function start(): Promise<void> {
  const log = createLogger('info').with({ component: 'desktop' });
  let openOutside: (url: string) => void = () => undefined;
  lockDown(session.defaultSession, log, (url) => openOutside(url));
  serveRenderer(log);

  const host = await connectEngine(log);
  const { link } = host;
  let lastStatus: Status | undefined;
  const settings = await PersistedJson.open(join(app.getPath('userData'), 'desktop.json'), settingsSchema, {
    notifications: true,
  });
  if (!settings.ok) throw new Error(settings.error.message);
  const helper = new HelperClient(host.config.helperSocket);
  const serverCommand = hnetServerCommand(app.isPackaged ? process.resourcesPath : undefined);
  // The server hosted here keeps its state with the user's other hnet data, never in /var/lib.
  const localServer = serverCommand
    ? new LocalServerHost({
        stateDir: join(app.getPath('userData'), 'server'),
        command: serverCommand,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        privileged: isPrivileged(),
        advertise: process.env['HNET_SERVER_ADVERTISE'],
        log,
      })
    : undefined;
  const windows = new WindowController(findAppFile('assets/icon.png'));
  const shellHandlers = createShellHandlers({
    link,
    helper: () => helper.call({ op: 'status' }),
    copyText: (text) => clipboard.writeText(text),
    installHelper: helperInstaller(findHelperBundle(app.isPackaged ? process.resourcesPath : undefined)),
    ...(localServer ? { localServer } : {}),
  });
  const backend = createBridgeBackend(link, shellHandlers);
  openOutside = (url) =>
    void shellHandlers['server.hosting']({}).then((hosting) => {
      const known = knownPages(lastStatus, hosting.ok ? hosting.value : { state: 'idle' });
      if (!mayOpen(url, known)) return log.warn('window-open-refused', { url: url.slice(0, 200) });
      void shell.openExternal(url);
    });
  registerIpcHandlers(ipcMain, { backend, trustedContents: windows.trustedContents, log });
  forwardEvents(backend, () => windows.contents());

  // Autostart runs the same binary with --hidden: straight to the tray.
  const launchCommand = [
    process.env['APPIMAGE'] ?? process.execPath,
    ...(app.isPackaged ? [] : [process.argv[1] ?? '']),
    '--hidden',
  ];
  const startAtLogin = async (): Promise<boolean> =>
    process.platform === 'linux' ? isAutostartOn(process.env) : app.getLoginItemSettings().openAtLogin;

  let quitting = false;
  const actions: TrayActions = {
    open: (view) => windows.show(view),
    copy: (text) => clipboard.writeText(text),
    // The same call as the window's button and `hnet up|down`; the tray follows the status it causes.
    setConnection: (connection) =>
      void link.call('connection.set', { connection }).then((done) => {
        if (!done.ok) new Notification({ title: 'hnet', body: done.error.message }).show();
      }),
    setStartAtLogin: (on) =>
      void (async () => {
        if (process.platform === 'linux') await setAutostart(on, launchCommand, process.env);
        else app.setLoginItemSettings({ openAtLogin: on, args: ['--hidden'] });
        tray.update({ startAtLogin: await startAtLogin() });
      })(),
    setNotifications: (on) =>
      void settings.value
        .update(() => ({ ok: true, value: { next: { notifications: on }, answer: undefined } }))
        .then(() => tray.update({ notifications: settings.value.value.notifications })),
    quit: () => {
      if (quitting) return;
      quitting = true;
      windows.allowClose();
      tray.destroy();
      // Quit stops the engine and server this app started; an hnetd service keeps running.
      void Promise.allSettled([host.close(), localServer?.stop()]).finally(() => app.exit(0));
    },
  };
  const tray = new TrayController(
    {
      link: { state: 'connecting', reason: 'connecting to the hnet engine' },
      status: undefined,
      hosted: host.mode === 'hosted',
      startAtLogin: await startAtLogin(),
      notifications: settings.value.value.notifications,
    },
    actions,
  );
  const notifications = new NotificationController(
    (title, body) => new Notification({ title, body, silent: true }).show(),
    () => settings.value.value.notifications,
  );
  for (const event of link.replay()) if (event.event === 'link') tray.update({ link: event.link });
  link.onEvent((event) => {
    if (event.event === 'link') tray.update({ link: event.link });
    if (event.event === 'status') {
      lastStatus = event.update.status;
      tray.update({ status: event.update.status });
      notifications.onStatus(event.update.status);
    }
  });

  app.on('second-instance', () => windows.show());
  // The window only hides on close; the app lives in the tray until Quit.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    actions.quit();
  });
  if (!process.argv.includes('--hidden')) windows.show();
}

if (!app.requestSingleInstanceLock()) {
  // Another instance runs: it opens its window (second-instance) and this one leaves.
  app.quit();
} else {
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('hnet cannot start', errorText(error));
      app.exit(1);
    });
}
