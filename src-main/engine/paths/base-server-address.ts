// How the engine reads a base server from its config (`host`, `host:port`, `[v6]:port`, a bare IPv6
// address; port 443 when none is given): the base connection dials it and `hnet netcheck` probes
// it, so both must read it alike. It stands alone so that netcheck need not import the base
// connection for it; that import closed an import cycle through engine.ts. (The address a person
// types for `hnet setup-server` is another thing, read by src-shared/server-address.ts.)

const DEFAULT_BASE_PORT = 443;

export interface BaseServerAddress {
  host: string;
  port: number;
  text: string;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address, as config.ts accepts them. */
export function parseServerAddress(text: string): BaseServerAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2] ?? DEFAULT_BASE_PORT), text };
  if ((text.match(/:/g) ?? []).length > 1) return { host: text, port: DEFAULT_BASE_PORT, text };
  const [host, port] = text.split(':');
  if (!host) return undefined;
  const number = Number(port ?? DEFAULT_BASE_PORT);
  if (!Number.isInteger(number) || number < 1 || number > 65535) return undefined;
  return { host, port: number, text };
}
