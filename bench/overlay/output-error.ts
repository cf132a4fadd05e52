import type { Result } from '../../src-protocol/result.js';

/** Why a measuring tool's output could not be turned into a figure. */
export type OutputErrorKind = 'NotJson' | 'ToolReported' | 'MissingField' | 'NoSummary' | 'NoReplies';

export interface OutputError {
  readonly kind: OutputErrorKind;
  readonly message: string;
}

export type Parsed<T> = Result<T, OutputError>;

export const parsed = <T>(value: T): Parsed<T> => ({ ok: true, value });

export const unparsable = (kind: OutputErrorKind, message: string): Parsed<never> => ({
  ok: false,
  error: { kind, message },
});
