import { describe, expect, it } from '@jest/globals';
import { luaSource } from './lua.js';

const norm = (name: string) =>
  /local function norm\(v\)\n[\s\S]*?\nend\n/.exec(luaSource(name))?.[0];

describe('the Lua scripts', () => {
  it('read lastseen values the same way in record and preload', () => {
    expect(norm('record')).toBeDefined();
    expect(norm('record')).toBe(norm('preload'));
  });
});
