// Which overlay device belongs to whom, and what each client may do with it: the rules behind
// openTun, closeTun and writeHosts, as pure functions over the helper's records of live devices.
//
// A client (a uid; on Windows a SID) has at most one device, which the helper names. One device at
// a time carries fc94::/16 and the overlay's multicast route: the first opened while no live device
// has them. Nobody else can take, move or remove them, nor close that device; /etc/hosts names
// belong to the engine whose device carries the routes. Root may close any device the helper made
// and write names, as the machine's administrator.
import { clientOf, type Caller } from './caller.js';
import type { HelperError, TunInfo } from './api/protocol.js';

/** hnet0, hnet1, …: the first free one; more clients than this on one machine is not a real setup. */
const MAX_DEVICES = 16;
const DEVICE_PREFIX = 'hnet';

const recordClient = (record: TunInfo): string => record.ownerSid ?? `uid ${record.ownerUid}`;
export const ownedBy = (record: TunInfo, caller: Caller): boolean =>
  recordClient(record) === clientOf(caller);
const isRoot = (caller: Caller): boolean => caller.sid === undefined && caller.uid === 0;
const describeOwner = (record: TunInfo): string => `${record.name} of ${recordClient(record)}`;

const refused = (kind: HelperError['kind'], message: string) => ({
  ok: false as const,
  error: { kind, message },
});

export type OpenPlan =
  | {
      ok: true;
      name: string;
      overlayRoute: boolean;
      /** The caller's previous device, removed before the new one is made. */
      replaces: TunInfo | undefined;
    }
  | { ok: false; error: HelperError };

/**
 * Where the caller's device goes. `live` are the helper's devices that still exist; `inUse` says
 * whether an interface of that name exists (ours or anyone's: another VPN's is never taken over).
 */
export function planOpen(
  live: readonly TunInfo[],
  caller: Caller,
  address: string,
  inUse: (name: string) => boolean,
): OpenPlan {
  const own = live.find((record) => ownedBy(record, caller));
  const others = live.filter((record) => !ownedBy(record, caller));
  const sameAddress = others.find((record) => record.address === address);
  if (sameAddress)
    return refused(
      'NotOwner',
      `${address} is already the address of ${describeOwner(sameAddress)}; one key serves one engine`,
    );
  const name = own?.name ?? freeName(others, inUse);
  if (name === undefined)
    return refused('TunFailed', `no free name among ${DEVICE_PREFIX}0…${DEVICE_PREFIX}${MAX_DEVICES - 1}`);
  return { ok: true, name, overlayRoute: !others.some((record) => record.overlayRoute), replaces: own };
}

function freeName(others: readonly TunInfo[], inUse: (name: string) => boolean): string | undefined {
  for (let i = 0; i < MAX_DEVICES; i++) {
    const name = `${DEVICE_PREFIX}${i}`;
    if (!others.some((record) => record.name === name) && !inUse(name)) return name;
  }
  return undefined;
}

export type Permission = { ok: true } | { ok: false; error: HelperError };

/** `records`: every device the helper remembers making, live or not. */
export function mayClose(records: readonly TunInfo[], caller: Caller, name: string): Permission {
  const record = records.find((r) => r.name === name);
  // Only devices this helper created: the caller must not be able to delete eth0.
  if (!record)
    return refused('TunFailed', `${name} was not opened by the hnet helper; refusing to remove it`);
  if (!ownedBy(record, caller) && !isRoot(caller))
    return refused(
      'NotOwner',
      `${name} belongs to ${recordClient(record)}; only its engine or root may close it`,
    );
  return { ok: true };
}

export function mayWriteHosts(live: readonly TunInfo[], caller: Caller): Permission {
  if (isRoot(caller)) return { ok: true };
  const holder = live.find((record) => record.overlayRoute);
  if (!holder)
    return refused(
      'NotOwner',
      'no engine holds the overlay on this machine yet; names are written by the engine whose device carries fc94::/16',
    );
  if (!ownedBy(holder, caller))
    return refused(
      'NotOwner',
      `the overlay on this machine is ${describeOwner(holder)}; only its engine writes hnet names into the hosts file`,
    );
  return { ok: true };
}
