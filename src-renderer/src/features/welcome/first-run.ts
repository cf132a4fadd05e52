// Whether this device is brand new to hnet: no server, no network, no peer. Then the window shows its
// three ways forward instead of an empty peers table. Pure, so it is unit-tested.
import type { Status } from '../../../../src-main/contract/status.js';

export function isFirstRun(status: Status): boolean {
  return (
    !status.server && status.base.server === null && status.networks.length === 0 && status.peers.length === 0
  );
}
