// What hostnames and overlay addresses look like wherever a user types one (config, control API,
// CLI), and the lists made of them (host table entries, the whitelist). Addresses are kept in
// Husarnet's full eight-group form so equal addresses compare equal.
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { canonicalHostname, HOSTNAME_RULE } from '../../src-shared/hostname.js';
import { boolean, list, object, type Infer, type Validator } from '../../src-shared/validate.js';

export function canonicalAddress(text: string): string | undefined {
  const bytes = parseOverlayAddress(text);
  return bytes ? formatAddress(bytes) : undefined;
}

const quoted = (value: unknown): string =>
  typeof value === 'string' ? `"${value.slice(0, 80)}"` : 'a non-string';
// "bad address" already says which parameter or key is meant; other places (an environment
// variable) are named.
const located = (path: string, plain: string): string =>
  path === '' || path.split('.').at(-1) === plain ? '' : ` (${path})`;

export const addressValidator: Validator<string> = (value, path) => {
  const address = typeof value === 'string' ? canonicalAddress(value) : undefined;
  return address
    ? { ok: true, value: address }
    : {
        ok: false,
        error: `bad address: ${quoted(value)}${located(path, 'address')} is not an hnet address inside fc94::/16`,
      };
};

export const hostnameValidator: Validator<string> = (value, path) => {
  const hostname = typeof value === 'string' ? canonicalHostname(value) : undefined;
  return hostname
    ? { ok: true, value: hostname }
    : {
        ok: false,
        error: `bad hostname: ${quoted(value)}${located(path, 'hostname')} may only hold ${HOSTNAME_RULE}`,
      };
};

/** A name for an overlay address, as the host table keeps it and /etc/hosts shows it. */
export const hostEntry = object({ hostname: hostnameValidator, address: addressValidator });
export type HostEntry = Infer<typeof hostEntry>;
export const HOST_LIMIT = 4096;

/** Which peers may talk to this device: on with no addresses accepts nobody. */
export const WHITELIST_LIMIT = 4096;
export const whitelistSchema = object({
  enabled: boolean,
  addresses: list(addressValidator, WHITELIST_LIMIT),
});
export type WhitelistState = Infer<typeof whitelistSchema>;

/**
 * Why a join gave the device `given` rather than the name it asked for, in words (undefined when it
 * got that name): the window and `hnet join` say it the same way, each quoting names its own way.
 */
export function whyRenamed(
  requested: string,
  given: string,
  quote: (name: string) => string = (name) => `"${name}"`,
): string | undefined {
  if (given === requested) return undefined;
  const label = requested.split('.')[0] ?? '';
  if (given === label) return 'a device name is one label';
  if (given.startsWith(`${label}-`)) return `${quote(label)} is taken in this account or network`;
  return `${quote(requested)} cannot be a device name`;
}
