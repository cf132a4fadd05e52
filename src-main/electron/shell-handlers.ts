// The calls the shell answers itself, for Electron and browser mode alike. What differs between
// the two (a clipboard, an installer that can ask for the admin password) is handed in; a shell
// that lacks one says so in a sentence rather than pretending.
import type { HelperReply, ResultOf as HelperResultOf } from '../../src-helper/protocol.js';
import type { ShellHandlers } from './bridge-backend.js';
import type { EngineLink } from './engine-link.js';
import type { BridgeOutcome, HelperState, HostedServer } from './ipc-schema.js';
import type { HostedHere } from './local-server-host.js';
import type { Fetch } from '../engine/server-license.js';
import { previewServer, useServer } from './server-setup.js';

/** Asks the root helper for its status (HelperClient's `status` call). */
export type HelperProbe = () => Promise<HelperReply<HelperResultOf<'status'>>>;

export interface ShellDeps {
  link: EngineLink;
  helper: HelperProbe;
  /** The one-time helper installation (asks for the admin password); absent where it cannot run. */
  installHelper?: () => Promise<BridgeOutcome<void>>;
  /** Electron's clipboard; a browser copies on its own side. */
  copyText?: (text: string) => void;
  /** Starts hnet-server on this machine; answers its URL and the key fingerprint it printed. */
  startLocalServer?: () => Promise<BridgeOutcome<HostedHere>>;
  fetch?: Fetch;
}

const notHere = (what: string) => ({
  ok: false as const,
  error: { kind: 'NotAvailable' as const, message: `${what} is not available in this window` },
});

export async function helperState(helper: HelperProbe, canInstall: boolean): Promise<HelperState> {
  const reply = await helper();
  if (reply.ok)
    return { installed: true, reason: `the hnet helper ${reply.result.version} is running`, canInstall };
  if (reply.error.kind === 'HelperNotRunning')
    return {
      installed: false,
      reason: canInstall
        ? 'hnet needs it to create its network device (hnet0) and to keep /etc/hosts up to date; it is installed once'
        : `${reply.error.message}, or install the hnet package`,
      canInstall,
    };
  return { installed: true, reason: reply.error.message, canInstall };
}

export function createShellHandlers(deps: ShellDeps): ShellHandlers {
  const fetcher = deps.fetch ?? fetch;
  const canInstall = deps.installHelper !== undefined;
  return {
    'server.preview': ({ url }) => previewServer(url, fetcher),
    'server.use': ({ url, fingerprint }) => useServer(url, fingerprint, deps.link, fetcher),
    'server.hostHere': async (): Promise<BridgeOutcome<HostedServer>> => {
      if (!deps.startLocalServer) return notHere('hosting a server');
      const started = await deps.startLocalServer();
      if (!started.ok) return started;
      const { url, fingerprint, setupUrl, logFile } = started.value;
      // Our own child printed its key, so the user need not compare it; the normal path still
      // checks that the server at `url` signs with exactly that key before the engine switches.
      const used = await useServer(url, fingerprint, deps.link, fetcher);
      if (!used.ok) return used;
      return {
        ok: true,
        value: { url, fingerprint, setupUrl: setupUrl ?? null, baseServers: used.value.baseServers, logFile },
      };
    },
    'helper.state': async () => ({ ok: true, value: await helperState(deps.helper, canInstall) }),
    'helper.install': async () => {
      if (!deps.installHelper) return notHere('installing the helper');
      const installed = await deps.installHelper();
      if (!installed.ok) return installed;
      return { ok: true, value: await helperState(deps.helper, canInstall) };
    },
    'clipboard.copy': async ({ text }) => {
      if (!deps.copyText) return notHere('the clipboard');
      deps.copyText(text);
      return { ok: true, value: {} };
    },
  };
}
