// Decoders never throw past their boundary: they return a value or a typed error the caller can
// branch on (and count, in the engine and the base server).
export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export type ProtocolErrorKind =
  | 'Truncated'
  | 'TooLong'
  | 'BadLength'
  | 'BadKind'
  | 'BadSignature'
  | 'AddressMismatch'
  | 'InvalidKey'
  | 'NotForUs'
  | 'BadCookie'
  | 'BadFormat'
  | 'DecryptFailed'
  | 'Replayed'
  | 'HandshakeMismatch'
  | 'NotWhitelisted'
  | 'NoSession'
  | 'QueueFull'
  | 'BadSecret';

export interface ProtocolError {
  kind: ProtocolErrorKind;
  message: string;
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = (kind: ProtocolErrorKind, message: string): { ok: false; error: ProtocolError } => ({
  ok: false,
  error: { kind, message },
});
