import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's systemd/ folder: the units, their environment file, the config template. */
export const SYSTEMD = fileURLToPath(new URL('../../systemd/', import.meta.url));

export type Unit = Map<string, string[]>;

/** `[Service]` settings of a unit file in systemd/: every assignment of a key, in order. */
export function serviceSection(file: string): Unit {
  const settings: Unit = new Map();
  let section = '';
  for (const raw of readFileSync(join(SYSTEMD, file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      section = line;
      continue;
    }
    if (section !== '[Service]') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

/** The value that wins: the last assignment. */
export const unitValue = (unit: Unit, key: string) => unit.get(key)?.at(-1);
