import { readFileSync } from 'node:fs';
import { LuaScript } from '@loopabull/core';

/**
 * `lua/` sits beside both `src/` and `dist/`, so the tests and the build read the same files.
 * Read once at import: a missing script fails at start-up, not at the first message.
 */
export const luaSource = (name: string): string =>
  readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');

/** `lastseen.lua` (`norm`, reading a stored lastseen) and then the script that uses it. */
export const withLastseenReading = (name: string): string =>
  `${luaSource('lastseen')}\n${luaSource(name)}`;

/** The store's writes, each one atomic script; what each takes is at the top of its file. */
export const SCRIPTS = {
  record: new LuaScript(withLastseenReading('record')),
  recordUnattributed: new LuaScript(luaSource('record-unattributed')),
  preload: new LuaScript(withLastseenReading('preload')),
};
