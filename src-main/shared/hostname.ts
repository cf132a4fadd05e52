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
