import { parsed, unparsable, type Parsed } from './output-error.js';

/** What one `iperf3 -c … -J` TCP run delivered. */
export interface Throughput {
  /** Received at the server: what actually crossed the path, not what the client queued. */
  readonly mbitPerSecond: number;
  readonly seconds: number;
  /** TCP retransmissions counted by the sender; iperf3 leaves it out where the kernel does not tell. */
  readonly retransmits: number | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads the end-of-test summary of iperf3's JSON report. */
export function parseIperfJson(text: string): Parsed<Throughput> {
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    return unparsable('NotJson', `iperf3 did not print a JSON report (got: ${text.trim().slice(0, 200)})`);
  }
  if (!isRecord(report)) return unparsable('NotJson', 'iperf3 printed JSON that is not a report object');
  if (typeof report.error === 'string') return unparsable('ToolReported', `iperf3: ${report.error}`);
  const end = report.end;
  const received = isRecord(end) ? end.sum_received : undefined;
  const sent = isRecord(end) ? end.sum_sent : undefined;
  if (
    !isRecord(received) ||
    typeof received.bits_per_second !== 'number' ||
    typeof received.seconds !== 'number'
  )
    return unparsable(
      'MissingField',
      'iperf3 report has no end.sum_received with bits_per_second and seconds',
    );
  return parsed({
    mbitPerSecond: received.bits_per_second / 1e6,
    seconds: received.seconds,
    retransmits: isRecord(sent) && typeof sent.retransmits === 'number' ? sent.retransmits : undefined,
  });
}
