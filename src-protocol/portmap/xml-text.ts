// Just enough XML to read a router's UPnP answers: the text of named elements. Not a parser: no
// DTDs, no attributes, namespace prefixes ignored, names compared without case (routers differ),
// and every scan is a linear indexOf walk, so hostile input costs no more than its (bounded) size.

/** The local name of a tag starting at `at` (just past '<'), without any `prefix:`. */
function tagNameAt(xml: string, at: number): { name: string; end: number } {
  let end = at;
  while (end < xml.length && !/[\s/>]/.test(xml[end]!)) end++;
  const qualified = xml.slice(at, end);
  const colon = qualified.indexOf(':');
  return { name: (colon < 0 ? qualified : qualified.slice(colon + 1)).toLowerCase(), end };
}

/**
 * The inner XML of each `<name>` element, in document order, at most `limit` of them. Elements of
 * the same name must not nest (true of every element hnet reads); a self-closing `<name/>` has
 * empty content; an element left open ends the search.
 */
export function elementContents(xml: string, name: string, limit = 64): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  let at = 0;
  while (out.length < limit) {
    const open = xml.indexOf('<', at);
    if (open < 0) break;
    const tag = tagNameAt(xml, open + 1);
    const close = xml.indexOf('>', tag.end);
    if (close < 0) break;
    at = close + 1;
    if (tag.name !== wanted) continue;
    if (xml[close - 1] === '/') {
      out.push('');
      continue;
    }
    const end = closingTag(xml, wanted, at);
    if (!end) break;
    out.push(xml.slice(at, end.start));
    at = end.after;
  }
  return out;
}

function closingTag(xml: string, name: string, from: number): { start: number; after: number } | undefined {
  let at = from;
  for (;;) {
    const start = xml.indexOf('</', at);
    if (start < 0) return undefined;
    const tag = tagNameAt(xml, start + 2);
    const close = xml.indexOf('>', tag.end);
    if (close < 0) return undefined;
    if (tag.name === name) return { start, after: close + 1 };
    at = close + 1;
  }
}

/** The text of the first `<name>` element, entities decoded and trimmed; undefined if absent. */
export function elementText(xml: string, name: string): string | undefined {
  const [content] = elementContents(xml, name, 1);
  return content === undefined ? undefined : decodeText(content);
}

const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(content: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(content);
  if (cdata) return cdata[1]!.trim();
  return content
    .replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/gi, (whole, ref: string) => {
      if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole;
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    })
    .trim();
}

const ESCAPES: Readonly<Record<string, string>> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text made safe to place between tags. */
export function escapeXmlText(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ESCAPES[c] ?? c);
}
