import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { appIconSvg } from './app-icon.js';

test('assets/icon.svg is the icon the shared geometry draws (run "npm run icons" after changing it)', () => {
  const file = readFileSync(new URL('../assets/icon.svg', import.meta.url), 'utf8');
  assert.equal(file, appIconSvg());
  assert.match(file, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 512 512">/);
});
