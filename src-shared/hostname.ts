// What a hostname may be, in one place for the engine (config, control API, websetup commands) and
// the root helper (which writes it into /etc/hosts): a name the engine accepts must never be one the
// helper refuses, or the hosts sync would fail for it.
//
// /etc/hosts syntax as Husarnet writes managed lines (PROTOCOL.md §7), narrowed: no leading "-" or
// "." so a name can never look like an option or a relative domain.
const HOSTNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;

/** The rule in words, for messages that refuse a name. */
export const HOSTNAME_RULE =
  'letters, digits, "_", "." and "-" (1 to 253 characters, not starting with "-" or ".")';

export function canonicalHostname(text: string): string | undefined {
  return HOSTNAME.test(text) ? text : undefined;
}

// A name websetup gives a device is written into every peer's /etc/hosts, so it must not be able
// to stand for anything else there (docs/decisions.md "Names have owners"): one DNS
// label, never a name with dots such as github.com, and none of the names every system keeps for
// itself or looks up on its own (proxy and tunnel discovery).
const LABEL = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const RESERVED = new Set([
  'localhost',
  'localdomain',
  'broadcasthost',
  'wpad',
  'isatap',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
]);

/** The rule in words, for messages that refuse a device name. */
export const DEVICE_NAME_RULE =
  'one label of 1 to 63 letters, digits, "_" and "-", not starting with "-" and not only digits';

/** Why `name` cannot be a device name websetup hands out, as a sentence; undefined when it can. */
export function deviceNameProblem(name: string): string | undefined {
  const shown = `"${name.slice(0, 80)}"`;
  if (name.includes('.'))
    return `${shown} cannot be a device name: device names have no dots, so that none can stand for a name on the internet; try "${name.split('.')[0] || 'device'}".`;
  if (RESERVED.has(name.toLowerCase()))
    return `${shown} cannot be a device name: every machine keeps that name for itself.`;
  if (!LABEL.test(name) || /^[0-9]+$/.test(name))
    return `${shown} cannot be a device name: a device name is ${DEVICE_NAME_RULE}.`;
  return undefined;
}

/** Names are compared as /etc/hosts and DNS compare them: without regard to letter case. */
export const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
