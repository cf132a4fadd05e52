// One line per event, `key=value` pairs (logfmt), so journald, grep and log shippers all read it:
//   ts=2026-11-22T07:50:00.000Z level=info event=ready socket=/run/hnet/control.sock

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `{ component: 'base' }`. */
  with(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function formatValue(value: string | number | boolean | null): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

function formatLine(level: LogLevel, event: string, fields: LogFields): string {
  const parts = [`ts=${new Date().toISOString()}`, `level=${level}`, `event=${formatValue(event)}`];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

export function createLogger(
  minimum: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  base: LogFields = {},
): Logger {
  const emit =
    (level: LogLevel) =>
    (event: string, fields: LogFields = {}) => {
      if (rank[level] >= rank[minimum]) write(formatLine(level, event, { ...base, ...fields }));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    with: (fields) => createLogger(minimum, write, { ...base, ...fields }),
  };
}
