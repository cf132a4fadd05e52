// Reading hnetd's log (logfmt, one event per line, src-main/engine/log.ts) for the moments the
// benchmark cannot see from outside: the TUN device opened, the base connected, a peer appeared.
// hnetd stamps each line when it happens, so the figures carry no pipe or polling delay.

/** The `key=value` fields of one logfmt line, values unquoted. */
export function logFields(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const match of line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const [, key, raw] = match;
    if (key === undefined || raw === undefined) continue;
    fields.set(key, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return fields;
}

/**
 * When (epoch ms, from the line's `ts`) `event` was first logged with every field in `where`,
 * or undefined if it never was.
 */
export function firstLogged(
  log: string,
  event: string,
  where: Readonly<Record<string, string>> = {},
): number | undefined {
  for (const line of log.split('\n')) {
    const fields = logFields(line);
    if (fields.get('event') !== event) continue;
    if (Object.entries(where).some(([key, value]) => fields.get(key) !== value)) continue;
    const at = Date.parse(fields.get('ts') ?? '');
    if (Number.isFinite(at)) return at;
  }
  return undefined;
}
