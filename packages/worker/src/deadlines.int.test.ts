import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from '@jest/globals';

const BUILT = pathToFileURL(new URL('../dist/deadlines.js', import.meta.url).pathname).href;

// `loopabull run` ends when its handler's call has: a deadline timer left behind would keep
// the process alive until the timeout (here an hour, past the test's own timeout).
it('leaves no timer once its calls ended, so a process with nothing else to do exits', async () => {
  const script = `
import { Deadlines, HandlerCall } from ${JSON.stringify(BUILT)};
const deadlines = new Deadlines();
const value = await new HandlerCall('a.mjs', 3600).wait(Promise.resolve('ran'), deadlines, performance.now(), (e) => e);
console.log(value);
`;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--input-type=module',
    '-e',
    script,
  ]);
  expect(stdout.trim()).toBe('ran');
});
