#!/usr/bin/env node
// The command npm links at install time, before anything is built: it must exist in the
// source tree, and it says what to do when the build has not happened yet.
try {
  await import('../dist/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/main.js'))
    throw err;
  process.stderr.write('loopabull: not built yet; run `npm run build` in the source tree first\n');
  process.exit(1);
}
