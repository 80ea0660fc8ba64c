import { describe, expect, it } from '@jest/globals';
import { notRecorded } from './migrate.js';

describe('notRecorded', () => {
  it('lists the migrations missing from the record, in the order they run', () => {
    expect(notRecorded(['0003_c', '0001_a', '0002_b'], ['0001_a'])).toEqual(['0002_b', '0003_c']);
    expect(notRecorded(['0001_a', '0002_b'], ['0002_b', '0001_a'])).toEqual([]);
    expect(notRecorded(['0001_a'], [])).toEqual(['0001_a']);
  });

  it('gives null for a record naming a migration that is gone: the Migrator refuses it', () => {
    expect(notRecorded(['0002_b'], ['0001_a', '0002_b'])).toBeNull();
  });
});
