// What a subscriber to the control API hears: a fresh Status whenever any section changed, never a
// diff to apply, so a client that missed one update is still right after the next.
import type { Status, StatusSection } from './status.js';

export interface StatusUpdate {
  status: Status;
  /** Sections that differ from the previous update; empty in the first one, a full snapshot. */
  changed: StatusSection[];
}

export type StatusListener = (update: StatusUpdate) => void;
