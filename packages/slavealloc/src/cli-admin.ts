import { ConfigError, printJson, redactUrl } from '@loopabull/core/cli';
import type { Backend } from './cli-backend.js';

/** The original CLI's messages: data on standard output, what happened on standard error. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/**
 * argparse's check in every admin command of the original, and no empty name: `gettac ''` would
 * ask for `/api/gettac/`, which names no slave.
 */
function checkSlaveNames(names: readonly string[]): void {
  if (names.some((n) => n === ''))
    throw new ConfigError('slave name must not be empty; give the unqualified hostname');
  if (names.some((n) => n.includes('.')))
    throw new ConfigError("slave name must not contain '.'; give the unqualified hostname");
}

async function slaveNamed(backend: Backend, name: string) {
  const slave = await backend.byName('slaves', name);
  if (!slave) throw new Error(`No slave found named '${name}'.`);
  return slave;
}

/**
 * Prints each slave's tac; with `json`, one list of `{slave, tac}` once every slave is asked, with
 * `tac: null` for a slave that has none, so a script sees the others' too before the command fails.
 */
export async function gettac(
  backend: Backend,
  io: Io,
  names: readonly string[],
  json = false,
): Promise<void> {
  checkSlaveNames(names);
  const failed = (name: string) => new Error(`could not generate TAC for ${name}`);
  if (!json) {
    for (const name of names) {
      const tac = await backend.gettac(name);
      if (tac === null) throw failed(name);
      // Python's print: the tac and a newline.
      io.out(`${tac}\n`);
    }
    return;
  }
  const tacs: Array<{ slave: string; tac: string | null }> = [];
  for (const name of names) tacs.push({ slave: name, tac: await backend.gettac(name) });
  printJson(io.out, tacs);
  const missing = tacs.filter((t) => t.tac === null).map((t) => t.slave);
  if (missing.length > 0) throw failed(missing.join(', '));
}

export async function lock(
  backend: Backend,
  io: Io,
  name: string,
  master: string | undefined,
  unlock: boolean,
): Promise<void> {
  checkSlaveNames([name]);
  if (!master && !unlock) throw new ConfigError('master name is required to lock');
  const slave = await slaveNamed(backend, name);
  if (unlock) {
    if (!slave.locked_masterid) throw new Error('Slave is not locked');
    await backend.update('slaves', slave.slaveid as number, { locked_masterid: null });
    io.err(`Slave '${name}' unlocked\n`);
    return;
  }
  const m = await backend.byName('masters', master!);
  if (!m) throw new Error(`No master found named '${master}'.`);
  await backend.update('slaves', slave.slaveid as number, { locked_masterid: m.masterid });
  io.err(`Locked '${name}' to '${String(m.nickname)}' (${String(m.fqdn)}:${String(m.pb_port)})\n`);
}

const word = (enabled: boolean) => (enabled ? 'enabled' : 'disabled');

/** `disable` and `enable`: changes the state (and notes, with -m) only when it differs. */
export async function setEnabled(
  backend: Backend,
  io: Io,
  name: string,
  enabled: boolean,
  message: string | undefined,
): Promise<void> {
  checkSlaveNames([name]);
  const slave = await slaveNamed(backend, name);
  if (slave.notes) io.err(`previous slave notes: '${String(slave.notes)}'\n`);
  if (slave.enabled === enabled) {
    io.err(`${name} is already ${word(enabled)}\n`);
    return;
  }
  const changes: Record<string, unknown> = { enabled };
  if (message !== undefined) changes.notes = message;
  await backend.update('slaves', slave.slaveid as number, changes);
  io.err(`${name} ${word(enabled)}\n`);
}

/** Prints a slave's notes, or sets them; with `json`, prints `{slave, notes}` (null: none). */
export async function notes(
  backend: Backend,
  io: Io,
  name: string,
  message: string | undefined,
  json = false,
): Promise<void> {
  checkSlaveNames([name]);
  const slave = await slaveNamed(backend, name);
  if (message !== undefined) {
    // Python's '%s' % None.
    io.err(`previous slave notes: '${String(slave.notes ?? 'None')}'\n`);
    await backend.update('slaves', slave.slaveid as number, { notes: message });
    io.err(`notes set to '${message}'\n`);
  }
  const now = message ?? ((slave.notes as string | null | undefined) || null);
  if (json) printJson(io.out, { slave: name, notes: now });
  else if (message === undefined && now) io.out(`${now}\n`);
}

/** `-A` as typed but for a password, where new URL() could not find it for redactUrl. */
const passwordHidden = (url: string) => url.replace(/([^\s/:@]*):[^\s/@]*@/, '$1:***@');

/**
 * An http(s) API URL that can be parsed and decoded, without a query, or a usage error naming it
 * without its password.
 */
export function checkApi<T>(
  url: string,
  make: (url: string, token: string | null) => T,
  token: string | null | undefined,
): T {
  const example = 'e.g. http://slavealloc.example.com:8080/api';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`-A ${JSON.stringify(passwordHidden(url))} is not a URL; ${example}`);
  }
  // `ops:pw@host/api` parses, with `ops:` as its scheme and no password.
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(
      `-A ${JSON.stringify(passwordHidden(url))} is not an http:// or https:// URL; ${example}`,
    );
  // The API's paths go after it: a query there would end up inside them.
  if (parsed.search || parsed.hash)
    throw new ConfigError(
      `-A ${redactUrl(url)} has a query or fragment, which the API does not take; give its address alone, ${example}`,
    );
  try {
    decodeURIComponent(parsed.username + parsed.password);
  } catch {
    throw new ConfigError(
      `-A ${redactUrl(url)} has a % that starts no escape in its user or password (write % as %25)`,
    );
  }
  return make(url, token ?? null);
}
