import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DIST, lineProcess } from '../test/line-process.js';

/**
 * `loopabull up` starts five workers that open one SQLite file, new on the first start. Turning
 * it to WAL deadlocked two of them now and then ('database is locked' at once, busy timeout or
 * not), so this opens many new files from several processes released together.
 */
const PROCESSES = 6;
const FILES = 100;

/** Per line, a path: opens it as Loopabull does and says `ok` or the error. */
const OPENER = `
  import { createInterface } from 'node:readline';
  import { Database } from ${JSON.stringify(DIST)};
  const logger = { info() {}, warn() {} };
  console.log('ready');
  for await (const path of createInterface({ input: process.stdin })) {
    try {
      await (await Database.open('sqlite:///' + path, { baseDir: '.', logger })).close();
      console.log('ok');
    } catch (err) {
      console.log(String(err.message));
    }
  }`;

describe('a new SQLite file opened by several processes at once', () => {
  let dir = '';
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'loopabull-sqlite-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens in each of them, every time', async () => {
    const openers = Array.from({ length: PROCESSES }, () => lineProcess(OPENER));
    try {
      await Promise.all(openers.map(async (p) => expect(await p.next()).toBe('ready')));
      for (let n = 0; n < FILES; n++) {
        const path = join(dir, `${n}.db`);
        for (const p of openers) p.send(path);
        const said = await Promise.all(openers.map((p) => p.next()));
        expect({ path, said }).toEqual({ path, said: openers.map(() => 'ok') });
      }
    } finally {
      await Promise.all(openers.map((p) => p.end()));
    }
  });
});
