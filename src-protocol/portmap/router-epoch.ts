// Whether a PCP or NAT-PMP router restarted (and so forgot our mapping) between two answers.
// Both protocols stamp every answer with the seconds since the router's mapping state began;
// RFC 6887 §8.5 (the rule RFC 6886 §3.6 sketches) compares how far that moved with how far our
// own clock did.

export interface EpochSample {
  /** The router's epoch, in seconds. */
  epoch: number;
  /** Our monotonic clock when the answer arrived, in milliseconds. */
  atMs: number;
}

export function routerLostState(previous: EpochSample, current: EpochSample): boolean {
  // Time running backwards by more than a second: the router started over.
  if (current.epoch + 1 < previous.epoch) return true;
  const ours = (current.atMs - previous.atMs) / 1000;
  const theirs = current.epoch - previous.epoch;
  // The two clocks may drift by 1/16 and round by a couple of seconds, no more.
  return ours + 2 < theirs - theirs / 16 || theirs + 2 < ours - ours / 16;
}
