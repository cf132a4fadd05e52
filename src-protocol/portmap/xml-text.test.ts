import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { elementContents, elementText, escapeXmlText } from './xml-text.js';

describe('tiny XML text extractor', () => {
  test('reads elements whatever their prefix or letter case, in order, up to a limit', () => {
    const xml = '<a:List><a:Item>one</a:Item><item x="1">two</item><ITEM/><other>x</other></a:List>';
    assert.deepEqual(elementContents(xml, 'item'), ['one', 'two', '']);
    assert.deepEqual(elementContents(xml, 'item', 2), ['one', 'two']);
  });

  test('decodes entities and CDATA, and trims', () => {
    assert.equal(elementText('<v> a &lt;&amp;&gt; &#65;&#x42; &bogus; </v>', 'v'), 'a <&> AB &bogus;');
    assert.equal(elementText('<v><![CDATA[ <raw> ]]></v>', 'v'), '<raw>');
    assert.equal(elementText('<v>&#0; &#x110000;</v>', 'v'), '&#0; &#x110000;');
  });

  test('absent, unclosed or broken elements give nothing rather than a guess', () => {
    assert.equal(elementText('<a>1</a>', 'b'), undefined);
    assert.deepEqual(elementContents('<b>open', 'b'), []);
    assert.deepEqual(elementContents('<b', 'b'), []);
    assert.deepEqual(elementContents('<<<>>></b>', 'b'), []);
  });

  test('escaping makes any text safe between tags', () => {
    const text = `<'"&>`;
    assert.equal(escapeXmlText(text), '&lt;&apos;&quot;&amp;&gt;');
    assert.equal(elementText(`<v>${escapeXmlText(text)}</v>`, 'v'), text);
  });
});
