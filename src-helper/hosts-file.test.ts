import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { countManagedLines, renderHostsFile } from './hosts-file.js';
import type { HostsEntry } from './api/protocol.js';

const laptop: HostsEntry = { address: 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239', hostname: 'laptop' };
const server: HostsEntry = { address: 'fc94:0000:0000:0000:0000:0000:0000:0001', hostname: 'server.lan' };

// Arbitrary unmanaged files: any bytes except that no line carries our marker, any mix of
// "\n" / "\r\n" terminators, with or without a final newline.
const unmanagedLine = fc
  .tuple(
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b)), maxLength: 30 }),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([text, end]) => ({ text: text.replaceAll('\n', ' ').replaceAll('\r', ' '), end }))
  .filter(({ text }) => !text.endsWith(' # managed by hnet') && !/laptop|server\.lan/i.test(text));
const unmanagedFile = fc
  .tuple(fc.array(unmanagedLine, { maxLength: 12 }), fc.boolean())
  .map(([lines, finalNewline]) => {
    const text = lines.map((l) => l.text + l.end).join('');
    return finalNewline || lines.length === 0 ? text : text.replace(/\r?\n$/, '');
  });
const entryList = fc.array(fc.constantFrom(laptop, server), { maxLength: 5 });

test('removing the managed entries gives back the original bytes, whatever the file looked like', () => {
  fc.assert(
    fc.property(unmanagedFile, entryList, entryList, (original, first, second) => {
      const once = renderHostsFile(original, first).content;
      const twice = renderHostsFile(once, second).content;
      assert.equal(countManagedLines(twice), second.length);
      assert.equal(renderHostsFile(twice, []).content, original);
    }),
    { numRuns: 2000 },
  );
});

test("managed lines replace the old ones in place and use the file's line endings", () => {
  const original = `# comment\r\n127.0.0.1 localhost\r\n${server.address} old # managed by hnet\r\n::1 ip6-localhost\r\n`;
  assert.equal(
    renderHostsFile(original, [laptop]).content,
    `# comment\r\n127.0.0.1 localhost\r\n${laptop.address} laptop # managed by hnet\r\n::1 ip6-localhost\r\n`,
  );
});

test('a file without a final newline keeps its last line intact and still ends without one', () => {
  assert.equal(
    renderHostsFile('127.0.0.1 localhost', [laptop]).content,
    `127.0.0.1 localhost\n${laptop.address} laptop # managed by hnet`,
  );
});

test('a name the file already maps on a line of its own is never shadowed, in any letter case', () => {
  const original = '127.0.0.1 localhost\n10.0.0.9 deb.debian.org Laptop # pinned by the admin\n';
  const hostile = { address: laptop.address, hostname: 'DEB.debian.org' };
  const rendered = renderHostsFile(original, [hostile, laptop, server, { ...server, hostname: 'localhost' }]);
  assert.deepEqual(rendered.skipped, ['DEB.debian.org', 'laptop', 'localhost']);
  assert.equal(rendered.content, `${original}${server.address} server.lan # managed by hnet\n`);
});

test('names in our own managed lines do not count as taken: the block is replaced, not skipped', () => {
  const once = renderHostsFile('127.0.0.1 localhost\n', [laptop]).content;
  assert.deepEqual(renderHostsFile(once, [laptop]), { content: once, skipped: [] });
});
