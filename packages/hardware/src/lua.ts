import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** EVALSHA, loading the script on NOSCRIPT: the shared connection is left without custom commands. */
export class LuaScript {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
  async run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * `lua/` sits beside both `src/` and `dist/`, so the tests and the build read the same files.
 * Read once at import: a missing script fails at start-up, not at the first message.
 */
export const luaSource = (name: string): string =>
  readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');

/** The store's writes, each one atomic script; what each takes is at the top of its file. */
export const SCRIPTS = {
  record: new LuaScript(luaSource('record')),
  recordUnattributed: new LuaScript(luaSource('record-unattributed')),
  preload: new LuaScript(luaSource('preload')),
};
