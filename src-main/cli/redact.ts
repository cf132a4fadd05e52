// What `hnet bugreport` must never carry: identity secret keys, websetup secrets, tokens (the browser
// UI's, setup links', API tokens) and passwords. Values are removed by the name of their field in
// JSON, and by their shape in free text (logs), since a log line has no schema to go by.

export const REDACTED = '[removed]';

/** Field names whose values are secrets wherever they appear. */
const SECRET_FIELD = /(?:secret|token|password|passphrase|cookie|credential|privatekey)s?$|^key$/i;

/** In text: a key's worth of hex or base64url (an identity secret key is 128 hex digits). */
const LONG_SECRET = /\b[0-9a-f]{96,}\b|\b[A-Za-z0-9_-]{43,}={0,2}(?![A-Za-z0-9_-])/g;
/** `token=…`, `secret: …`, `#setup=…` and the like, as they appear in URLs and log fields. */
const NAMED_SECRET =
  /((?:secret|token|password|passphrase|setup|cookie)[A-Za-z_-]*\s*[=:]\s*"?)([^\s"&#,;]+)/gi;

/** A join code's secret half, after websetup's address (`<fc94 address>/<22 characters>`). */
const JOIN_CODE = /(fc94:[0-9a-f:]+\/)[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])/gi;

export function redactText(text: string): string {
  return text
    .replace(NAMED_SECRET, `$1${REDACTED}`)
    .replace(JOIN_CODE, `$1${REDACTED}`)
    .replace(LONG_SECRET, REDACTED);
}

/** A copy of `value` with every secret field's value and every secret-looking string removed. */
export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        SECRET_FIELD.test(key) && inner !== null ? REDACTED : redactJson(inner),
      ]),
    );
  return value;
}
