import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * Statements run as the administrator of the machine's database servers, to create and drop the
 * throwaway databases tests use (PostgreSQL with trust auth, MariaDB root without a password).
 */
export const databaseAdmin = {
  postgresql: {
    root: 'postgresql://postgres@127.0.0.1',
    // `with (force)` ends the sessions a failed test left open.
    dropOptions: ' with (force)',
    async run(statement: string): Promise<void> {
      const client = new pg.Client('postgresql://postgres@127.0.0.1/postgres');
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    },
  },
  mariadb: {
    root: 'mysql://root@127.0.0.1',
    dropOptions: '',
    async run(statement: string): Promise<void> {
      const conn = await mysql.createConnection('mysql://root@127.0.0.1/test');
      try {
        await conn.query(statement);
      } finally {
        await conn.end();
      }
    },
  },
} as const;
