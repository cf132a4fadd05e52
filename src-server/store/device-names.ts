// How the server turns the name a device asks for into one it may hand out (a single label:
// src-shared/hostname.ts), and the candidates it tries when that name is taken.
import { deviceNameProblem } from '../../src-shared/hostname.js';

const MAX_LABEL = 63;
/** Numbered candidates tried before a random one; beyond a few, a person would rename anyway. */
const NUMBERED_CANDIDATES = 64;

/** `laptop.example.org` becomes `laptop`; what cannot become a device name becomes `device`. */
export function nameFromRequest(requested: string): string {
  const label = (requested.split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9_-]/g, '')
    .replace(/^-+/, '')
    .slice(0, MAX_LABEL);
  return deviceNameProblem(label) === undefined ? label : 'device';
}

/** `name`, then `name-2`, `name-3`…, then a few with random suffixes, each a valid device name. */
export function* nameCandidates(name: string, random: () => string): Generator<string> {
  yield name;
  const suffixed = (suffix: string) => `${name.slice(0, MAX_LABEL - suffix.length - 1)}-${suffix}`;
  for (let n = 2; n <= NUMBERED_CANDIDATES; n++) yield suffixed(String(n));
  for (let n = 0; n < 4; n++) yield suffixed(random());
}
