import { describe, expect, it } from '@jest/globals';
import {
  chooseMaster,
  choosePassword,
  decide,
  type AllocationInputs,
  type MasterFacts,
} from './allocate.js';

const master = (masterid: number, enabled = true, poolid = 1): MasterFacts => ({
  masterid,
  nickname: `bm${masterid}`,
  fqdn: `bm${masterid}.example.com`,
  pb_port: 9000 + masterid,
  poolid,
  enabled,
});

const inputs = (change: Partial<AllocationInputs> = {}): AllocationInputs => ({
  slave: {
    slaveid: 7,
    name: 'slave07',
    enabled: true,
    poolid: 1,
    distroid: 3,
    locked_masterid: null,
  },
  passwords: [{ poolid: 1, distroid: null, password: 'pw' }],
  locked: null,
  poolMasters: [master(1), master(2), master(3)],
  peerCounts: new Map(),
  ...change,
});

describe('chooseMaster', () => {
  it('takes the fewest peers, then the lowest id', () => {
    const masters = [master(3), master(1), master(2)];
    expect(chooseMaster(masters, new Map())?.masterid).toBe(1);
    expect(
      chooseMaster(
        masters,
        new Map([
          [1, 2],
          [2, 1],
          [3, 1],
        ]),
      )?.masterid,
    ).toBe(2);
    expect(
      chooseMaster(
        masters,
        new Map([
          [1, 1],
          [2, 1],
          [3, 0],
        ]),
      )?.masterid,
    ).toBe(3);
  });

  it('skips disabled masters, and finds none when all are', () => {
    expect(chooseMaster([master(1, false), master(2)], new Map([[2, 9]]))?.masterid).toBe(2);
    expect(chooseMaster([master(1, false)], new Map())).toBeNull();
    expect(chooseMaster([], new Map())).toBeNull();
  });
});

describe('choosePassword', () => {
  const slave = { poolid: 1, distroid: 3 };
  it('prefers the distro row over the wildcard, whatever the order', () => {
    const wildcard = { poolid: 1, distroid: null, password: 'any' };
    const specific = { poolid: 1, distroid: 3, password: 'mine' };
    expect(choosePassword([wildcard, specific], slave)).toBe('mine');
    expect(choosePassword([specific, wildcard], slave)).toBe('mine');
    expect(choosePassword([wildcard, { ...specific, distroid: 4 }], slave)).toBe('any');
  });
  it('is the smallest among equals, and null when the pool has none', () => {
    const rows = ['b', 'a', 'c'].map((password) => ({ poolid: 1, distroid: null, password }));
    expect(choosePassword(rows, slave)).toBe('a');
    expect(choosePassword([{ poolid: 2, distroid: null, password: 'x' }], slave)).toBeNull();
  });
});

describe('decide', () => {
  it('allocates the least loaded enabled master with the password', () => {
    const d = decide(
      inputs({
        peerCounts: new Map([
          [1, 4],
          [2, 3],
          [3, 3],
        ]),
      }),
    );
    expect(d).toEqual({ kind: 'allocated', master: master(2), password: 'pw', locked: false });
  });

  it('a locked slave gets its master even when disabled or of another pool', () => {
    const lockedTo = master(9, false, 5);
    const d = decide(
      inputs({ slave: { ...inputs().slave, locked_masterid: 9 }, locked: lockedTo }),
    );
    expect(d).toEqual({ kind: 'allocated', master: lockedTo, password: 'pw', locked: true });
  });

  it('a disabled slave gets the disabled tac, even when locked', () => {
    expect(decide(inputs({ slave: { ...inputs().slave, enabled: false } }))).toEqual({
      kind: 'disabled',
    });
    expect(
      decide(
        inputs({
          slave: { ...inputs().slave, enabled: false, locked_masterid: 1 },
          locked: master(1),
        }),
      ),
    ).toEqual({ kind: 'disabled' });
  });

  it('no enabled master in the pool: none', () => {
    expect(decide(inputs({ poolMasters: [master(1, false)] }))).toEqual({ kind: 'no-master' });
  });
});
