/** One line of the benchmark table: an overlay (or none) on one path, every figure from a to b. */
export interface Row {
  /** `underlay` for the bare path, else the overlay's name and version. */
  readonly overlay: string;
  readonly path: string;
  readonly throughputMbit: number;
  /** TCP segments the iperf3 sender resent; null where the kernel did not say. */
  readonly tcpRetransmits: number | null;
  /** CPU seconds the machine spent per Gbit carried (MeasuredThroughput). */
  readonly cpuSecondsPerGbit: number;
  /** The offloads the overlay uses, as its status says; null where it says none. */
  readonly offloads: string | null;
  /** Throughput as a share of the bare path's in the same run; null for the underlay itself. */
  readonly ofUnderlayPercent: number | null;
  readonly rttP50Ms: number;
  readonly rttP99Ms: number;
  /** Overlay RTT minus underlay RTT, percentile by percentile; null for the underlay itself. */
  readonly addedP50Ms: number | null;
  readonly addedP99Ms: number | null;
  /** The RTT the overlay's own status showed while the pings ran; null where it shows none. */
  readonly statusRttMs: number | null;
  /** From starting everything on both hosts, keys already made (as at boot), to the first reply. */
  readonly firstPingMs: number | null;
  /** The same from a device's very first start, its keys made then; null where they are made before. */
  readonly firstPingNewDeviceMs: number | null;
  /** From restarting the daemons, the privileged service left running, to the first reply. */
  readonly firstPingHelperUpMs: number | null;
  /** Null where the overlay has no other path to fall back on, or for the underlay. */
  readonly failoverGapMs: number | null;
}

interface Column {
  readonly title: string;
  readonly cell: (row: Row) => string;
  readonly alignLeft?: boolean;
}

const fixed = (value: number | null, digits: number): string =>
  value === null ? '-' : value.toFixed(digits);

const columns: readonly Column[] = [
  { title: 'overlay', cell: (row) => row.overlay, alignLeft: true },
  { title: 'path', cell: (row) => row.path, alignLeft: true },
  { title: 'TCP Mbit/s', cell: (row) => fixed(row.throughputMbit, 0) },
  { title: 'TCP resent', cell: (row) => fixed(row.tcpRetransmits, 0) },
  { title: 'CPU s/Gbit', cell: (row) => fixed(row.cpuSecondsPerGbit, 2) },
  {
    title: 'of underlay',
    cell: (row) => (row.ofUnderlayPercent === null ? '-' : `${fixed(row.ofUnderlayPercent, 0)}%`),
  },
  { title: 'RTT p50 ms', cell: (row) => fixed(row.rttP50Ms, 3) },
  { title: 'RTT p99 ms', cell: (row) => fixed(row.rttP99Ms, 3) },
  { title: 'added p50 ms', cell: (row) => fixed(row.addedP50Ms, 3) },
  { title: 'added p99 ms', cell: (row) => fixed(row.addedP99Ms, 3) },
  { title: 'status RTT ms', cell: (row) => fixed(row.statusRttMs, 3) },
  { title: 'first ping ms', cell: (row) => fixed(row.firstPingMs, 0) },
  { title: 'new device ms', cell: (row) => fixed(row.firstPingNewDeviceMs, 0) },
  { title: 'helper running ms', cell: (row) => fixed(row.firstPingHelperUpMs, 0) },
  { title: 'failover gap ms', cell: (row) => fixed(row.failoverGapMs, 0) },
  { title: 'offloads', cell: (row) => row.offloads ?? '-', alignLeft: true },
];

/** Header, rule, one line per row; columns left-aligned where asked, else right-aligned. */
function render(
  titles: readonly string[],
  lines: readonly (readonly string[])[],
  alignLeft: readonly boolean[],
): string {
  const cells = [titles, ...lines];
  const widths = titles.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0)));
  const renderLine = (line: readonly string[]): string =>
    line
      .map((text, i) => {
        const width = widths[i] ?? 0;
        return alignLeft[i] ? text.padEnd(width) : text.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const [header, ...body] = cells.map(renderLine);
  return [header, '-'.repeat(header?.length ?? 0), ...body].join('\n');
}

/** The benchmark table: one line per row, numbers rounded, missing figures as "-". */
export function formatTable(rows: readonly Row[]): string {
  return render(
    columns.map((column) => column.title),
    rows.map((row) => columns.map((c) => c.cell(row))),
    columns.map((column) => column.alignLeft === true),
  );
}

/** How one overlay on one path got to its first ping. */
export interface StartupRow {
  readonly overlay: string;
  readonly path: string;
  /** In the order they happen; the last is the first reply itself. */
  readonly steps: readonly { readonly step: string; readonly ms: number | null }[];
}

/** One line per row, one column per step (in the order the rows name them), ms from the start. */
export function formatStartupTable(rows: readonly StartupRow[]): string {
  // The row with the most steps sets the order; steps only other rows have go after its own.
  const titles: string[] = [];
  const fullest = [...rows].sort((x, y) => y.steps.length - x.steps.length);
  for (const row of fullest) for (const { step } of row.steps) if (!titles.includes(step)) titles.push(step);
  const lines = rows.map((row) => [
    row.overlay,
    row.path,
    ...titles.map((title) => fixed(row.steps.find((s) => s.step === title)?.ms ?? null, 0)),
  ]);
  return render(['overlay', 'path', ...titles], lines, [true, true, ...titles.map(() => false)]);
}
