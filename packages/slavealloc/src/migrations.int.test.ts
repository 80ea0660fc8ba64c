import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Database } from '@loopabull/database';
import { allDatabases } from '@test/support';
import { openService, quietLogger } from '../test/helpers.js';
import { MIGRATION_OWNER, slaveallocMigrations } from './migrations.js';
import type { SlaveallocTables } from './tables.js';

describe.each(allDatabases())('slavealloc migrations on $name', (target) => {
  afterAll(() => target.remove());

  it('a database made by the first migration keeps its rows, and its names then match exactly', async () => {
    const url = await target.create();
    const first = await Database.open(url, { baseDir: tmpdir(), logger: quietLogger });
    const { '0001_original_model': original } = slaveallocMigrations(first.dialect);
    await first.migrate(MIGRATION_OWNER, { '0001_original_model': original! });
    await first.kysely
      .withTables<SlaveallocTables>()
      .insertInto('distros')
      .values([{ name: 'centos6' }, { name: 'Win2k8' }])
      .execute();
    await first.close();

    const service = await openService(url);
    try {
      const k = service.db.k;
      expect(await service.get('distros', { name: 'centos6' })).toMatchObject({ name: 'centos6' });
      for (const name of ['centos6 ', 'win2k8', 'centos6\u0000'])
        expect([name, await service.get('distros', { name })]).toEqual([name, undefined]);
      // Another name, not a duplicate; each finds its own row.
      await k.insertInto('distros').values({ name: 'centos6 ' }).execute();
      const ids = await k
        .selectFrom('distros')
        .select(['name', 'distroid'])
        .where('name', 'in', ['centos6', 'centos6 '])
        .orderBy('distroid')
        .execute();
      expect(ids.map((r) => r.name)).toEqual(['centos6', 'centos6 ']);
      expect((await service.get('distros', { name: 'centos6 ' }))?.distroid).toBe(ids[1]!.distroid);
    } finally {
      await service.db.close();
    }
  });
});
