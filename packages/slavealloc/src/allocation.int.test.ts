import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { allDatabases } from '@test/support';
import { sql, type Transaction } from 'kysely';
import { currentMasters, openService, reloadFixtures } from '../test/helpers.js';
import { lockPool, lockRow } from './db.js';
import type { Slavealloc } from './service.js';
import { LOOKUPS, type LookupTable, type SlaveallocTables } from './tables.js';

/**
 * The original algorithm on each database: peers are the slaves of the same pool and silo
 * (speed aside), counted by current master; enabled masters of the pool only; fewest then
 * lowest id. The expected masters are worked out by hand from originals.md D.3.
 */
describe.each(allDatabases())('allocation on $name', (target) => {
  let service: Slavealloc;

  beforeAll(async () => {
    service = await openService(await target.create());
  });
  afterAll(async () => {
    await service?.db.close();
    await target.remove();
  });
  beforeEach(() => reloadFixtures(service.db));

  const master = async (name: string, record = true) => {
    const a = await service.gettac(name, record);
    return a.kind === 'allocated' ? a.master!.nickname : a.kind;
  };

  it('balances each silo over the pool’s masters, lowest id on ties', async () => {
    const got: string[] = [];
    for (const s of ['01', '02', '03', '04', '05']) got.push(await master(`linux-ix-slave${s}`));
    // slave03 is slow: speed is not part of the silo, so it counts as a peer.
    expect(got).toEqual(['bm01-build', 'bm02-build', 'bm03-build', 'bm01-build', 'bm02-build']);
    // Another silo of the same pool counts its own peers only.
    expect(await master('w64-ix-slave01')).toBe('bm01-build');
    expect(await master('w64-ix-slave02')).toBe('bm02-build');
    // Another pool, its own masters.
    expect(await master('try-linux-slave01')).toBe('bm04-try');
    // A slave asking again is not its own peer: bm03 has one peer, bm01 and bm02 one each
    // besides slave05 itself, so the lowest id among the least loaded.
    expect(await master('linux-ix-slave05')).toBe('bm02-build');
  });

  it('only enabled masters; none left: no allocation', async () => {
    await service.db.k
      .updateTable('masters')
      .set({ enabled: 0 })
      .where('nickname', '=', 'bm01-build')
      .execute();
    expect(await master('linux-ix-slave01')).toBe('bm02-build');
    expect(await master('linux-ix-slave02')).toBe('bm03-build');
    expect(await master('linux-ix-slave03')).toBe('bm02-build');
    await service.db.k.updateTable('masters').set({ enabled: 0 }).execute();
    expect(await master('linux-ix-slave04')).toBe('no-master');
  });

  it('a locked slave gets its master even when disabled and of another pool', async () => {
    const k = service.db.k;
    const bm04 = await k
      .selectFrom('masters')
      .select('masterid')
      .where('nickname', '=', 'bm04-try')
      .executeTakeFirstOrThrow();
    await k
      .updateTable('masters')
      .set({ enabled: 0 })
      .where('masterid', '=', bm04.masterid)
      .execute();
    await k
      .updateTable('slaves')
      .set({ locked_masterid: bm04.masterid })
      .where('name', '=', 'linux-ix-slave01')
      .execute();
    expect(await master('linux-ix-slave01')).toBe('bm04-try');
    expect(await master('linux-ix-slave02')).toBe('bm01-build');
  });

  it('a disabled slave gets the disabled tac and loses its master; unknown: refused', async () => {
    expect(await master('linux-ix-slave01')).toBe('bm01-build');
    await service.db.k
      .updateTable('slaves')
      .set({ enabled: 0 })
      .where('name', '=', 'linux-ix-slave01')
      .execute();
    const a = await service.gettac('linux-ix-slave01', true);
    expect(a.kind).toBe('disabled');
    expect(a.kind === 'disabled' && a.tac).toContain('SLAVE DISABLED; NOT STARTING');
    expect((await currentMasters(service))['linux-ix-slave01']).toBeNull();
    expect(await master('no-such-slave')).toBe('unknown');
    expect(await master('LINUX-IX-SLAVE02')).toBe('unknown');
  });

  it('/api/gettac-style allocation records nothing', async () => {
    expect(await master('linux-ix-slave01', false)).toBe('bm01-build');
    expect(await master('linux-ix-slave02', false)).toBe('bm01-build');
    expect(Object.values(await currentMasters(service)).every((m) => m === null)).toBe(true);
  });

  it('picks the distro password before the wildcard', async () => {
    const tac = async (name: string) => {
      const a = await service.gettac(name, false);
      return a.kind === 'allocated' ? a.tac : '';
    };
    expect(await tac('w64-ix-slave01')).toContain("passwd = 'win,pw'\n");
    expect(await tac('linux-ix-slave01')).toContain("passwd = 'build-any'\n");
    expect(await tac('try-linux-slave01')).toContain("passwd = 'try-pw'\n");
  });

  it('counts peers of the whole silo only, masters of any datacenter, and leaves a disabled master', async () => {
    const k = service.db.k;
    const masterid = async (nickname: string) =>
      (
        await k
          .selectFrom('masters')
          .select('masterid')
          .where('nickname', '=', nickname)
          .executeTakeFirstOrThrow()
      ).masterid;
    const [bm01, bm02] = [await masterid('bm01-build'), await masterid('bm02-build')];
    const place = (names: string[], id: number) =>
      k.updateTable('slaves').set({ current_masterid: id }).where('name', 'in', names).execute();
    // bm01 has two peers of slave05, bm02 one (slave03 only differs in speed), bm03 none.
    await place(['linux-ix-slave01', 'linux-ix-slave02'], bm01);
    await place(['linux-ix-slave03'], bm02);
    expect(await master('linux-ix-slave05', false)).toBe('bm03-build');

    // Differing in any one silo attribute, slave05 has no peers: all at 0, the lowest id.
    await k.insertInto('datacenters').values({ name: 'scl3' }).execute();
    const idOf = async (table: LookupTable, name: string) => {
      const found = await k
        .selectFrom(table)
        .select(sql<number>`${sql.ref(LOOKUPS[table])}`.as('id'))
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return Number(found.id);
    };
    const dcid = await idOf('datacenters', 'scl3');
    const row = await k
      .selectFrom('slaves')
      .selectAll()
      .where('name', '=', 'linux-ix-slave05')
      .executeTakeFirstOrThrow();
    const variants = {
      dcid,
      bitsid: await idOf('bitlengths', '32'),
      purposeid: await idOf('purposes', 'test'),
      trustid: await idOf('trustlevels', 'try'),
      envid: await idOf('environments', 'decommissioned'),
    };
    for (const [column, value] of Object.entries(variants)) {
      const set = (v: number) =>
        k
          .updateTable('slaves')
          .set({ [column]: v })
          .where('slaveid', '=', row.slaveid)
          .execute();
      await set(value);
      expect([column, await master('linux-ix-slave05', false)]).toEqual([column, 'bm01-build']);
      await set(row[column as keyof typeof variants]);
    }

    // A master's datacenter is no part of the choice.
    await k.updateTable('masters').set({ dcid }).where('nickname', '=', 'bm03-build').execute();
    expect(await master('linux-ix-slave05', false)).toBe('bm03-build');

    // slave01's master is disabled: it moves to the least loaded enabled one, which is recorded.
    await k.updateTable('masters').set({ enabled: 0 }).where('masterid', '=', bm01).execute();
    expect(await master('linux-ix-slave01')).toBe('bm03-build');
    expect((await currentMasters(service))['linux-ix-slave01']).toBe('bm03-build');
  });

  // SQLite runs one write transaction at a time, so only the servers can interleave them.
  const server = target.name === 'SQLite' ? it.skip : it;

  /**
   * Whether `work` finishes, or first waits on a lock in this database (another session does),
   * as when it meets the transaction that the test holds open. Polled, as the databases announce
   * no such event; InnoDB refreshes innodb_trx only when it has not been read for 100 ms, so a
   * faster poll would read the same stale rows forever.
   */
  const firstOf = async (work: Promise<unknown>): Promise<'finished' | 'blocked'> => {
    const waiting =
      service.db.dialect === 'postgresql'
        ? sql<{ n: unknown }>`select count(*) as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`
        : sql<{ n: unknown }>`select count(*) as n from information_schema.innodb_trx t
            join information_schema.processlist p on p.id = t.trx_mysql_thread_id
            where t.trx_state = 'LOCK WAIT' and p.db = database()`;
    let settled = false;
    const blocked = async () => {
      while (!settled && Number((await waiting.execute(service.db.k)).rows[0]!.n) === 0)
        await new Promise((resolve) => setTimeout(resolve, 150));
      return 'blocked' as const;
    };
    const first = await Promise.race([work.then(() => 'finished' as const), blocked()]);
    settled = true;
    return first;
  };
  /** The test's own transaction, as a concurrent request's would be. */
  const concurrently = (work: (trx: Transaction<SlaveallocTables>) => Promise<void>) =>
    service.db.k.transaction().setIsolationLevel('read committed').execute(work);
  const bm01 = () =>
    service.db.k
      .selectFrom('masters')
      .select(['masterid', 'poolid'])
      .where('nickname', '=', 'bm01-build')
      .executeTakeFirstOrThrow();
  const slave01 = () =>
    service.db.k
      .selectFrom('slaves')
      .select('slaveid')
      .where('name', '=', 'linux-ix-slave01')
      .executeTakeFirstOrThrow();

  server('deleting a master waits for an allocation in its pool that chose it', async () => {
    const master = await bm01();
    let deleting: ReturnType<Slavealloc['remove']> | undefined;
    // An allocation in flight: its pool locked and bm01 chosen, not yet recorded.
    await concurrently(async (trx) => {
      await lockPool(trx, service.db, master.poolid);
      deleting = service.remove('masters', master.masterid, 'api');
      expect(await firstOf(deleting)).toBe('blocked');
      // Had the delete not waited, it would have committed, and this would break the key.
      await trx
        .updateTable('slaves')
        .set({ current_masterid: master.masterid })
        .where('name', '=', 'linux-ix-slave01')
        .execute();
    });
    expect((await deleting!).ok).toBe(true);
    expect((await currentMasters(service))['linux-ix-slave01']).toBeNull();
  });

  server('deleting a master while a PUT locks a slave to it: 409, not a 500', async () => {
    const master = await bm01();
    const { slaveid } = await slave01();
    let deleting: ReturnType<Slavealloc['remove']> | undefined;
    // The PUT in flight: it has checked bm01, not yet written.
    await concurrently(async (trx) => {
      await lockRow(trx, service.db, 'masters', 'masterid', master.masterid, 'share');
      deleting = service.remove('masters', master.masterid, 'api');
      expect(await firstOf(deleting)).toBe('blocked');
      await trx
        .updateTable('slaves')
        .set({ locked_masterid: master.masterid })
        .where('slaveid', '=', slaveid)
        .execute();
    });
    expect(await deleting!).toEqual({
      ok: false,
      status: 409,
      error: 'slaves are locked to this master: linux-ix-slave01; unlock them first',
    });
  });

  server('a PUT locking a slave to a master being deleted: 400 naming the field', async () => {
    const master = await bm01();
    const { slaveid } = await slave01();
    let putting: ReturnType<Slavealloc['update']> | undefined;
    // The DELETE in flight: bm01 locked and gone, not yet committed.
    await concurrently(async (trx) => {
      await lockRow(trx, service.db, 'masters', 'masterid', master.masterid, 'update');
      await trx.deleteFrom('masters').where('masterid', '=', master.masterid).execute();
      putting = service.update('slaves', slaveid, { locked_masterid: master.masterid }, 'api');
      expect(await firstOf(putting)).toBe('blocked');
    });
    expect(await putting!).toEqual({
      ok: false,
      status: 400,
      error: `locked_masterid ${master.masterid}: there is no such row in masters`,
    });
  });

  it('50 concurrent allocations leave the masters balanced', async () => {
    const k = service.db.k;
    const template = await k
      .selectFrom('slaves')
      .selectAll()
      .where('name', '=', 'linux-ix-slave01')
      .executeTakeFirstOrThrow();
    // Copies of slave01 under new names: its silo, no master yet.
    const rest = { ...template, slaveid: undefined };
    const names = Array.from({ length: 50 }, (_, i) => `load-${String(i).padStart(2, '0')}`);
    await k
      .insertInto('slaves')
      .values(names.map((name) => ({ ...rest, name })))
      .execute();
    const results = await Promise.all(names.map((n) => master(n)));
    const counts: Record<string, number> = {};
    for (const m of results) counts[m] = (counts[m] ?? 0) + 1;
    // 50 new slaves over three masters: 17, 17, 16, whatever the order they ran in.
    expect(Object.values(counts).sort()).toEqual([16, 17, 17]);
  });
});
