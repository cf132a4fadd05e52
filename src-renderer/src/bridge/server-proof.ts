// The page's side of src-main/ui-server/server-proof.ts: before reconnecting (and so before the
// browser sends the session cookie again), ask whoever answers on our port to prove it holds the
// token, with a fresh nonce and no cookie. WebCrypto: the page runs on 127.0.0.1, a secure context.
const encoder = new TextEncoder();

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export const newNonce = (): string => base64url(crypto.getRandomValues(new Uint8Array(24)));

export async function expectedProof(serverKey: string, nonce: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(serverKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(nonce))));
}

/** What answers at our address now: nothing, the hnetd that served this page, or something else. */
export type Answerer = 'nobody' | 'ours' | 'stranger';

export async function whoAnswers(alive: string, serverKey: string): Promise<Answerer> {
  const nonce = newNonce();
  let answer: string;
  try {
    const response = await fetch(`${alive}?nonce=${nonce}`, { credentials: 'omit', cache: 'no-store' });
    answer = response.ok ? (await response.text()).trim() : '';
  } catch {
    return 'nobody';
  }
  return answer === (await expectedProof(serverKey, nonce)) ? 'ours' : 'stranger';
}
