// What hostnames and overlay addresses look like wherever a user types one (config, control API,
// CLI). Addresses are kept in Husarnet's full eight-group form so equal addresses compare equal.
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { canonicalHostname, HOSTNAME_RULE } from '../../src-shared/hostname.js';
import type { Validator } from '../../src-shared/validate.js';

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
