// Proof that a client holds the key of the address it is given. The helper issues a random nonce to
// one process (uid and pid as the kernel reported them), the client signs tunProofMessage(nonce)
// with its device key, and only then is the device made, with the address derived from that key.
// So a member of the helper's group can never be handed another engine's address: it would need
// that engine's secret key, which only the engine's user can read.
//
// Verification uses Node's own Ed25519 (OpenSSL), so the root process loads no libsodium.
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { addressFromPublicKey } from '../src-protocol/address.js';
import { fromHex, toHex } from '../src-protocol/bytes.js';
import { clientOf, type Caller } from './caller.js';
import { NONCE_BYTES, tunProofMessage, type HelperError } from './api/protocol.js';

/** Long enough for a loaded machine's round trip; short enough that a nonce is not worth stealing. */
const NONCE_LIFETIME_MS = 30_000;
/** Outstanding nonces per client and in all: a client asking in a loop only evicts its own. */
const NONCES_PER_CLIENT = 4;
const NONCES_IN_ALL = 256;

interface Issued {
  client: string;
  pid: number;
  expiresAt: number;
}

export interface ProofRequest {
  publicKey: string;
  nonce: string;
  signature: string;
}

export type ProofOutcome = { ok: true; address: Uint8Array } | { ok: false; error: HelperError };

const badProof = (message: string): ProofOutcome => ({ ok: false, error: { kind: 'BadProof', message } });

export class TunChallenges {
  private readonly issued = new Map<string, Issued>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(caller: Caller): string {
    this.expire();
    const client = clientOf(caller);
    const mine = [...this.issued].filter(([, entry]) => entry.client === client);
    if (mine.length >= NONCES_PER_CLIENT) this.issued.delete(mine[0]![0]);
    if (this.issued.size >= NONCES_IN_ALL) this.issued.delete(this.issued.keys().next().value!);
    const nonce = toHex(randomBytes(NONCE_BYTES));
    this.issued.set(nonce, { client, pid: caller.pid, expiresAt: this.now() + NONCE_LIFETIME_MS });
    return nonce;
  }

  /**
   * The address `request` proves the caller holds the key of. The nonce is used up whatever the
   * outcome, so a signature can be tried once only.
   */
  check(request: ProofRequest, caller: Caller): ProofOutcome {
    this.expire();
    const entry = this.issued.get(request.nonce);
    this.issued.delete(request.nonce);
    if (!entry || entry.client !== clientOf(caller) || entry.pid !== caller.pid)
      return badProof('the nonce was not issued to this process or has expired; ask for a new challenge');
    const publicKey = fromHex(request.publicKey)!;
    const address = addressFromPublicKey(publicKey);
    if (!address) return badProof('this public key does not own an fc94 address');
    const message = tunProofMessage(fromHex(request.nonce)!);
    if (!verifyEd25519(publicKey, message, fromHex(request.signature)!))
      return badProof('the signature does not verify with this public key');
    return { ok: true, address };
  }

  private expire(): void {
    const now = this.now();
    for (const [nonce, entry] of this.issued) if (entry.expiresAt <= now) this.issued.delete(nonce);
  }
}

function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
