import { createServer } from 'node:net';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, testConfig } from '@test/support';
import { startServer } from './server.js';

afterAll(removeTempDirs);

describe('startServer where it cannot listen', () => {
  it('names the address and says what to change when the port is taken, as by a second serve', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as { port: number };
    const config = testConfig({ overrides: { loglevel: 'error' } });
    try {
      await expect(startServer({ ...config, http: { ...config.http, port } })).rejects.toThrow(
        `cannot listen on 127.0.0.1:${port}: another process listens there (another loopabull serve or up?); stop it, or set http.port (or $LOOPABULL_HTTP_PORT) to a free port`,
      );
    } finally {
      taken.close();
    }
  });

  it('says to correct http.host when no interface has that address', async () => {
    const config = testConfig({ overrides: { loglevel: 'error' } });
    await expect(
      startServer({ ...config, http: { ...config.http, host: '192.0.2.1', port: 0 } }),
    ).rejects.toThrow(
      'cannot listen on 192.0.2.1:0: this host has no such address; correct http.host',
    );
  });
});
