import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../engine/log.js';
import { announceUiUrl, forgetUiUrl, uiUrlFile } from './ui-url.js';

const url = 'http://127.0.0.1:41234/?token=s3cr3t-t0ken';
const log = createLogger('error');

function output(isTTY: boolean) {
  const lines: string[] = [];
  return { isTTY, lines, write: (text: string) => lines.push(text) };
}

describe("the browser UI's address", () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-ui-url-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('beside the control socket, whole, readable by this user only', async () => {
    const file = uiUrlFile(join(dir, 'control.sock'));
    assert.equal(file, join(dir, 'ui-url'));
    assert.equal(await announceUiUrl(url, file, log, output(false)), file);
    assert.equal(await readFile(file, 'utf8'), `${url}\n`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await forgetUiUrl(file);
    await assert.rejects(stat(file), 'gone once the UI stops');
  });

  test('printed without its token where output is not a terminal (a log), whole to a terminal', async () => {
    const file = join(dir, 'ui-url');
    const toLog = output(false);
    await announceUiUrl(url, file, log, toLog);
    assert.equal(toLog.lines.length, 1);
    assert.match(toLog.lines[0]!, /^hnet: the UI is at http:\/\/127\.0\.0\.1:41234\/ \(.*hnet ui/);
    assert.doesNotMatch(toLog.lines[0]!, /s3cr3t/);
    const toTerminal = output(true);
    await announceUiUrl(url, file, log, toTerminal);
    assert.deepEqual(toTerminal.lines, [`hnet: the UI is at ${url}\n`]);
  });

  test('a file that cannot be written leaves the token out of the output all the same', async () => {
    const toLog = output(false);
    const file = join(dir, 'no-such-dir', 'ui-url');
    assert.equal(await announceUiUrl(url, file, log, toLog), undefined);
    assert.match(toLog.lines[0]!, /could not be saved/);
    assert.doesNotMatch(toLog.lines[0]!, /s3cr3t/);
  });
});
