/*
 * What slavealloc's columns hold on every database. A value that one of SQLite, PostgreSQL and
 * MariaDB would refuse (or that SQLite would keep where the others could not) is refused before
 * any query, so that the three answer alike; a lookup for something no row can hold finds
 * nothing without asking.
 */
import { unstorableText } from '@loopabull/core/cli';

/** Ids are `integer` columns (`serial` on PostgreSQL): 32-bit signed. */
export const MAX_ID = 2_147_483_647;

/** An id a row can have: an integer from 1 to MAX_ID. */
export const isRowId = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_ID;

/** Names are `varchar(128)`; PostgreSQL and MariaDB count characters, not UTF-16 units. */
const MAX_NAME_CHARS = 128;

/** `text` on MariaDB holds 65,535 bytes, which utf8mb4 fills with UTF-8. */
const MAX_TEXT_BYTES = 65_535;

/** Why `value` does not fit a name (`varchar(128)`) or `text` column, or null when it does. */
export function unfit(value: string, column: 'name' | 'text'): string | null {
  const unstorable = unstorableText(value);
  if (unstorable) return unstorable;
  if (column === 'name') {
    const chars = [...value].length;
    return chars > MAX_NAME_CHARS
      ? `must be at most ${MAX_NAME_CHARS} characters, not ${chars}`
      : null;
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > MAX_TEXT_BYTES
    ? `must be at most ${MAX_TEXT_BYTES} bytes of UTF-8 (MariaDB's text), not ${bytes}`
    : null;
}

/** A name that some row could have; any other names no row. */
export const isStorableName = (value: string): boolean => unfit(value, 'name') === null;
