// Every failure the engine, its control API and its clients report: a kind to branch on and a
// sentence for the user. The kinds travel over the control socket, so clients share this list.
import type { Result } from '../../src-protocol/result.js';

export type EngineErrorKind =
  | 'BadConfig'
  | 'BadState'
  | 'CorruptIdentity'
  | 'BadRequest'
  | 'BadParams'
  | 'UnknownCall'
  | 'TooLarge'
  | 'NotPermitted'
  | 'NotFound'
  | 'NotAvailable'
  | 'DaemonNotRunning'
  | 'ConnectionLost'
  | 'Timeout'
  | 'Internal';

export interface EngineError {
  kind: EngineErrorKind;
  message: string;
}

export type Outcome<T> = Result<T, EngineError>;

export const success = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const failure = (kind: EngineErrorKind, message: string): { ok: false; error: EngineError } => ({
  ok: false,
  error: { kind, message },
});

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
