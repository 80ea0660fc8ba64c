import { describe, expect, it } from '@jest/globals';
import { luaSource, withLastseenReading } from './lua.js';

describe('the Lua scripts', () => {
  it('read lastseen values with the one norm of lastseen.lua, in record and preload', () => {
    expect(luaSource('lastseen')).toContain('local function norm(v)');
    for (const name of ['record', 'preload']) {
      expect(luaSource(name)).not.toContain('local function norm');
      expect(withLastseenReading(name).startsWith(luaSource('lastseen'))).toBe(true);
    }
  });
});
