// Peer flags carried, signed, in every handshake hello (PROTOCOL.md §3). Bits 0 and 1 are stock
// Husarnet's; hnet reserves bit 8 upward for its extensions (docs/protocol-extensions.md). An
// extension is on only when BOTH sides set its bit, so a stock peer never sees it.
export const FLAG_SUPPORTS_FLAGS = 1n << 0n;
export const FLAG_COMPRESSION = 1n << 1n;
/** What every stock Husarnet 2.x peer sends. */
export const STOCK_FLAGS = FLAG_SUPPORTS_FLAGS | FLAG_COMPRESSION;

/** A real per-direction packet counter in the data packet's seq field, checked by a sliding window. */
export const FLAG_REPLAY_WINDOW = 1n << 8n;
/** Periodic rekeying with fresh X25519 keys, keeping the previous receive key for a grace period. */
export const FLAG_REKEYING = 1n << 9n;

/** What an hnet node announces by default. */
export const HNET_FLAGS = STOCK_FLAGS | FLAG_REPLAY_WINDOW | FLAG_REKEYING;

export interface Extensions {
  replayWindow: boolean;
  rekeying: boolean;
}

export const NO_EXTENSIONS: Extensions = { replayWindow: false, rekeying: false };

export function negotiatedExtensions(ownFlags: bigint, peerFlags: bigint): Extensions {
  const both = ownFlags & peerFlags;
  return {
    replayWindow: (both & FLAG_REPLAY_WINDOW) !== 0n,
    rekeying: (both & FLAG_REKEYING) !== 0n,
  };
}
