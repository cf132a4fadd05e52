// The protocol library's public surface for the engine and the server stack. The security layer
// (security/, tunnel-packet.ts) exports from its own modules.
export * from './address.js';
export * from './base-messages.js';
export * from './bytes.js';
export * from './crypto.js';
export * from './endpoint.js';
export * from './identity.js';
export * from './lan-beacon.js';
export * from './license.js';
export * from './p2p-messages.js';
export * from './random-text.js';
export * from './result.js';
export * from './tcp-frame.js';
export * from './websetup-messages.js';
