// How one base server's measurement reads wherever it is shown (`hnet status`, the window):
// "198.51.100.2:443 12.3 ms in use (measured 20 s ago)", "… unreachable (why, 3 s ago)",
// "… not measured yet". Measured now or said to be unknown: never an old figure passed off as new.
import type { BaseServerReading } from './status.js';

function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return 'at an unknown time';
  if (seconds < 1) return 'now';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** Two decimals below 10 ms, one below 100, none above. */
const milliseconds = (ms: number): string =>
  `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;

export function describeBaseReading(reading: BaseServerReading, now: number): string {
  const when = reading.measuredAt ? ago(reading.measuredAt, now) : 'never';
  switch (reading.state) {
    case 'unknown':
      return `${reading.server} not measured yet`;
    case 'unreachable':
      return `${reading.server} unreachable (${reading.reason}, ${when})`;
    case 'answering':
    case 'in use': {
      const rtt = reading.rttMs === null ? 'RTT unknown' : milliseconds(reading.rttMs);
      return `${reading.server} ${rtt}${reading.state === 'in use' ? ' in use' : ''} (measured ${when})`;
    }
  }
}
