import type { Redis } from 'ioredis';
import { pythonJsonDumps } from './compat-json.js';
import { HARDWARE_KEYS } from './keys.js';
import type { MachineReader } from './reading.js';

interface Rendered {
  version: string;
  body: Promise<Buffer>;
}

/**
 * The `/machines` body, rendered once per version of the `machines` hash: at fleet size a render
 * reads and formats every machine (tens of milliseconds for 10,000), a version check is one GET.
 * The version is bumped by the store's own writes; while there is none (data written by other
 * programs only) every request renders afresh.
 */
export class CompatListCache {
  private rendered: Rendered | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly reader: MachineReader,
  ) {}

  async body(): Promise<Buffer> {
    // Read before the hash: a write in between leaves a body newer than its version, never older.
    const version = await this.redis.get(HARDWARE_KEYS.lastseenVersion);
    if (version === null) return this.render();
    if (this.rendered?.version !== version) {
      const body = this.render();
      const rendered = { version, body };
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
