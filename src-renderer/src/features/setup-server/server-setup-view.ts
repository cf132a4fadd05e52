// How "use a server" and "host a server here" read in the window. Pure, so it is unit-tested.
import { hostingSteps, type HostingStep } from '../../../../src-main/contract/hosting-steps.js';
import type { HostingState } from '../../../../src-main/contract/ui-bridge.js';

const stepWords: Record<HostingStep, string> = {
  address: 'Finding this machine’s address for other devices',
  starting: 'Starting hnet-server (its key, base server and dashboard)',
  switching: 'Moving this device to it, checking the server’s key',
};

export interface ProgressStep {
  text: string;
  /** done: finished; now: under way; next: not begun. */
  state: 'done' | 'now' | 'next';
}

/** The steps of hosting a server here while it starts, each done, under way or still to come. */
export function hostingProgress(hosting: HostingState): ProgressStep[] | undefined {
  if (hosting.state !== 'working') return undefined;
  const current = hostingSteps.indexOf(hosting.step);
  return hostingSteps.map((step, i) => ({
    text: stepWords[step],
    state: i < current ? 'done' : i === current ? 'now' : 'next',
  }));
}

/** What another device runs to use this server; the fingerprint quoted, as the shell reads it. */
export function setupCommand(url: string, fingerprint: string): string {
  return `hnet setup-server ${url} --fingerprint '${fingerprint}'`;
}

/** The submit button of "Use a server": with a fingerprint pasted it switches, without it only checks. */
export function useServerAction(fingerprint: string): 'Use this server' | 'Check server' {
  return fingerprint.trim() === '' ? 'Check server' : 'Use this server';
}
