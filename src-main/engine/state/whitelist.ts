// Which peers may talk to this device. On by default: a fresh device accepts nobody until an
// address is added (or the whitelist is turned off). The data plane asks `allows()` before every
// handshake, in both directions, and drops peers when `onChange` reports their removal.
import { formatAddress } from '../../../src-protocol/address.js';
import { failure, success, type Outcome } from '../../contract/errors.js';
import {
  canonicalAddress,
  WHITELIST_LIMIT,
  whitelistSchema,
  type WhitelistState,
} from '../../contract/names.js';
import { PersistedJson } from './persisted-json.js';

const badAddress = (text: string) =>
  failure('BadParams', `bad address: "${text}" is not an hnet address inside fc94::/16`);

export class Whitelist {
  private allowed: ReadonlySet<string>;

  private constructor(private readonly store: PersistedJson<WhitelistState>) {
    this.allowed = new Set(store.value.addresses);
    store.onChange((state) => (this.allowed = new Set(state.addresses)));
  }

  static async open(file: string): Promise<Outcome<Whitelist>> {
    const store = await PersistedJson.open(file, whitelistSchema, { enabled: true, addresses: [] });
    return store.ok ? success(new Whitelist(store.value)) : store;
  }

  get state(): WhitelistState {
    return this.store.value;
  }

  /** May this peer handshake with us (or we with it)? */
  allows(address: Uint8Array): boolean {
    return !this.store.value.enabled || this.allowed.has(formatAddress(address));
  }

  /** Takes any IPv6 spelling of the address; the list keeps the canonical one. */
  add(text: string): Promise<Outcome<WhitelistState>> {
    const address = canonicalAddress(text);
    if (!address) return Promise.resolve(badAddress(text));
    return this.store.update((state) => {
      if (state.addresses.includes(address)) return success({ next: state, answer: state });
      if (state.addresses.length >= WHITELIST_LIMIT)
        return failure(
          'BadParams',
          `the whitelist is full (${WHITELIST_LIMIT} addresses); remove some first`,
        );
      const next = { ...state, addresses: [...state.addresses, address].sort() };
      return success({ next, answer: next });
    });
  }

  remove(text: string): Promise<Outcome<WhitelistState>> {
    const address = canonicalAddress(text);
    if (!address) return Promise.resolve(badAddress(text));
    return this.store.update((state) => {
      if (!state.addresses.includes(address))
        return failure('NotFound', `${address} is not on the whitelist`);
      const next = { ...state, addresses: state.addresses.filter((a) => a !== address) };
      return success({ next, answer: next });
    });
  }

  setEnabled(enabled: boolean): Promise<Outcome<WhitelistState>> {
    return this.store.update((state) => {
      const next = { ...state, enabled };
      return success({ next, answer: next });
    });
  }

  onChange(listener: (state: WhitelistState) => void): () => void {
    return this.store.onChange(listener);
  }
}
