// The bytes captured from a stock Husarnet 2.0.343 daemon, shared by the vector and fuzz tests: a
// copy kept in the repository (src-protocol/vectors, with its provenance), so a clone alone passes.
export interface VectorIdentity {
  line: string;
  address: string;
  publicKey: string;
  secretKey: string;
}

export interface VectorMessage {
  name: string;
  hex: string;
  from?: string;
  to?: string;
}

export interface Vectors {
  identities: VectorIdentity[];
  udp: VectorMessage[];
  baseMessages: VectorMessage[];
  securityHellos: VectorMessage[];
}

export const VECTORS_URL = new URL('./vectors/husarnet-2.0.343.json', import.meta.url);

export async function loadVectors(): Promise<Vectors> {
  try {
    const module = (await import(VECTORS_URL.href, { with: { type: 'json' } })) as { default: Vectors };
    return module.default;
  } catch (error) {
    throw new Error(
      `The stock daemon's test vectors are missing or unreadable at ${VECTORS_URL.pathname}: ${String(error)}`,
    );
  }
}

/** The captured message with this name; throws so a renamed vector fails the test that needs it. */
export function vector(list: VectorMessage[], name: string): Uint8Array {
  const found = list.find((m) => m.name === name);
  if (!found) throw new Error(`No captured message named ${name} in the test vectors.`);
  return new Uint8Array(Buffer.from(found.hex, 'hex'));
}
