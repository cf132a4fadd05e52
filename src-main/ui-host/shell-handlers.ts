// The calls the shell answers itself, for Electron and browser mode alike. What differs between
// the two (a clipboard, an installer that can ask for the admin password) is handed in; a shell
// that lacks one says so in a sentence rather than pretending.
import type { HelperReply, ResultOf as HelperResultOf } from '../../src-helper/api/protocol.js';
import type { ShellHandlers } from './bridge-backend.js';
import type { EngineLink } from './engine-link.js';
import { Hosting, type LocalServerControl } from './hosting.js';
import type { BridgeOutcome, HelperState } from '../contract/ui-bridge.js';

/** Asks the root helper for its status (HelperClient's `status` call). */
export type HelperProbe = () => Promise<HelperReply<HelperResultOf<'status'>>>;

export interface ShellDeps {
  link: EngineLink;
  helper: HelperProbe;
  /** The one-time helper installation (asks for the admin password); absent where it cannot run. */
  installHelper?: () => Promise<BridgeOutcome<void>>;
  /** Electron's clipboard; a browser copies on its own side. */
  copyText?: (text: string) => void;
  /** The hnet-server this machine can host (LocalServerHost); absent where this build has none. */
  localServer?: LocalServerControl;
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
  const canInstall = deps.installHelper !== undefined;
  const hosting = deps.localServer && new Hosting(deps.localServer, deps.link);
  return {
    'server.hostHere': async () => (hosting ? hosting.hostHere() : notHere('hosting a server')),
    'server.hosting': async () => ({ ok: true, value: hosting?.state() ?? { state: 'idle' } }),
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
