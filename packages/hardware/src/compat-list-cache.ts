import type { Redis } from 'ioredis';
import { pythonJsonDumps } from './compat-json.js';
import { HARDWARE_KEYS } from './keys.js';
import type { MachineReader } from './reading.js';

interface Rendered {
  version: string;
  /** When it was rendered (`now()`). */
  at: number;
  body: Promise<Buffer>;
}

/** How long a body is kept at most, so that other programs' writes show within it. */
export const COMPAT_LIST_MAX_AGE_MS = 1000;

/**
 * The `/machines` body, rendered once per version of the `machines` hash: at fleet size a render
 * reads and formats every machine (tens of milliseconds for 10,000), a version check is one GET.
 * The version is bumped by the store's own writes; while there is none (data written by other
 * programs only) every request renders afresh. Another program writing beside Loopabull (the
 * original's consumer, during a migration) bumps no version: a body is kept for at most
 * `maxAgeMs`, so its writes show that soon.
 */
export class CompatListCache {
  private rendered: Rendered | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly reader: MachineReader,
    private readonly maxAgeMs = COMPAT_LIST_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async body(): Promise<Buffer> {
    // Read before the hash: a write in between leaves a body newer than its version, never older.
    const version = await this.redis.get(HARDWARE_KEYS.lastseenVersion);
    if (version === null) return this.render();
    const at = this.now();
    if (this.rendered?.version !== version || at - this.rendered.at >= this.maxAgeMs) {
      const body = this.render();
      const rendered = { version, at, body };
      this.rendered = rendered;
      body.catch(() => {
        if (this.rendered === rendered) this.rendered = null;
      });
    }
    return this.rendered.body;
  }

  private async render(): Promise<Buffer> {
    return Buffer.from(pythonJsonDumps(await this.reader.compatList(), 2), 'utf8');
  }
}
