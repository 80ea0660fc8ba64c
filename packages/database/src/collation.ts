import { sql, type Kysely } from 'kysely';

/** The NO PAD binary collations: MariaDB 10.2+ has the first, MySQL 8.0.17+ the second. */
const NO_PAD_BINARY = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'] as const;

/**
 * The collation under which a MariaDB or MySQL server compares text as SQLite and PostgreSQL do:
 * by case and by trailing spaces. `utf8mb4_bin` is PAD SPACE (`'a ' = 'a'`), the default
 * `utf8mb4_general_ci` ignores case as well. For automations' migrations that convert their
 * tables.
 */
export async function exactCollation(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ name: string }>`
    select collation_name as name from information_schema.collations
    where collation_name in (${sql.join([...NO_PAD_BINARY])})`.execute(db);
  const found = NO_PAD_BINARY.find((c) => rows.some((r) => r.name === c));
  if (!found)
    throw new Error(
      `the server has none of the collations ${NO_PAD_BINARY.join(', ')}: MariaDB 10.2 or MySQL 8.0.17 or later is needed`,
    );
  return found;
}
