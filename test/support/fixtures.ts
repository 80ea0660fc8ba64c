import { readFileSync } from 'node:fs';

/** Captured messages and documents from the real systems (test/fixtures/README.md). */
export const FIXTURES = new URL('../fixtures/', import.meta.url);

export function readFixture<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(new URL(relative, FIXTURES), 'utf8')) as T;
}
