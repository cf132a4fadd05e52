// The managed lines of /etc/hosts: `<address> <hostname> # managed by hnet`. Everything else in the
// file is kept byte for byte, so the text is handled as latin1 (one char per byte: no decoding
// can alter a byte) and every line keeps its own terminator ("\n", "\r\n" or none at EOF).
import { MANAGED_MARKER, type HostsEntry } from './api/protocol.js';

interface Line {
  text: string;
  end: '' | '\n' | '\r\n';
}

const MANAGED_SUFFIX = ` ${MANAGED_MARKER}`;

function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const newline = content.indexOf('\n', start);
    if (newline < 0) {
      lines.push({ text: content.slice(start), end: '' });
      break;
    }
    const crlf = newline > start && content[newline - 1] === '\r';
    lines.push({ text: content.slice(start, crlf ? newline - 1 : newline), end: crlf ? '\r\n' : '\n' });
    start = newline + 1;
  }
  return lines;
}

const isManaged = (line: Line): boolean => line.text.endsWith(MANAGED_SUFFIX);
const join = (lines: readonly Line[]): string => lines.map((l) => l.text + l.end).join('');

/**
 * The file's unmanaged lines and where the managed block sits. When the file ended with managed
 * lines and no final newline, the newline before that block was added by us (see renderHostsFile)
 * and goes away with it, so removing every entry restores the original bytes.
 */
function unmanagedLines(content: string): { kept: Line[]; blockAt: number } {
  const lines = splitLines(content);
  const last = lines.at(-1);
  if (last && last.end === '' && isManaged(last)) {
    let first = lines.length - 1;
    while (first > 0 && isManaged(lines[first - 1]!)) first--;
    const before = lines[first - 1];
    if (before) lines[first - 1] = { text: before.text, end: '' };
  }
  const kept: Line[] = [];
  let blockAt = -1;
  for (const line of lines) {
    if (!isManaged(line)) kept.push(line);
    else if (blockAt < 0) blockAt = kept.length;
  }
  return { kept, blockAt: blockAt < 0 ? kept.length : blockAt };
}

/** Number of managed lines currently in the file. */
export const countManagedLines = (content: string): number => splitLines(content).filter(isManaged).length;

/** Every name the unmanaged lines give an address to, lowercased: those are never shadowed. */
function namesInUse(kept: readonly Line[]): Set<string> {
  const names = new Set<string>();
  for (const line of kept) {
    const [, ...aliases] = line.text.replace(/#.*/, '').trim().split(/\s+/);
    for (const alias of aliases) if (alias) names.add(alias.toLowerCase());
  }
  return names;
}

export interface RenderedHosts {
  content: string;
  /** Entries left out because a line of the file's own already names them. */
  skipped: string[];
}

/**
 * The new file content: unmanaged lines unchanged, the managed block replaced by `entries` where
 * the first managed line was (or appended). An entry whose name the file already maps elsewhere
 * (localhost, a name the admin pinned) is left out: our block must never change what a name the
 * machine already knew resolves to. Entries must already be validated (protocol.ts).
 */
export function renderHostsFile(content: string, entries: readonly HostsEntry[]): RenderedHosts {
  const { kept, blockAt } = unmanagedLines(content);
  const inUse = namesInUse(kept);
  const skipped = entries.filter((e) => inUse.has(e.hostname.toLowerCase())).map((e) => e.hostname);
  const block = entries
    .filter((e) => !inUse.has(e.hostname.toLowerCase()))
    .map((e) => `${e.address} ${e.hostname}${MANAGED_SUFFIX}`);
  if (block.length === 0) return { content: join(kept), skipped };
  // Follow the file's own convention, so a Windows-edited file does not get mixed line endings.
  const eol = kept[0]?.end === '\r\n' ? '\r\n' : '\n';
  const before = kept.slice(0, blockAt);
  const after = kept.slice(blockAt);
  const previous = before.at(-1);
  if (after.length === 0 && previous && previous.end === '') {
    // The file ends without a newline: separate our block from its last line instead of
    // altering that line, and leave the file ending without a newline as it did.
    return { content: join(before) + block.map((line) => eol + line).join(''), skipped };
  }
  return { content: join(before) + block.map((line) => line + eol).join('') + join(after), skipped };
}
