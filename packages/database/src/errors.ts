/**
 * The codes each driver gives a duplicate key: PostgreSQL's SQLSTATE, MariaDB's error name, and
 * SQLite's extended result codes (a duplicate primary key is its own code there).
 */
const UNIQUE_VIOLATION_CODES = new Set([
  '23505',
  'ER_DUP_ENTRY',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
]);

/**
 * Whether an error from a query is a unique or primary-key violation, on any of the three
 * dialects: for "insert, and if it is already there, read it" without a race.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && UNIQUE_VIOLATION_CODES.has(code);
}

/** An error's text for a message of our own. */
export function messageOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  // Not `instanceof Error`: better-sqlite3's errors are plain objects with Error's prototype,
  // from another realm under Jest. Node's connect errors for a name with several addresses
  // (localhost) have an empty message.
  const { message, code, name } = err as { message?: unknown; code?: unknown; name?: unknown };
  for (const text of [message, code, name]) if (typeof text === 'string' && text) return text;
  return String(err);
}
