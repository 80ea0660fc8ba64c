import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Vhost {
  /** amqp URL of the shared broker in this vhost, as its user (guest, or its own). */
  url: string;
  name: string;
  /** Who may use it: guest/guest, or a user of its own (`ownUser`). */
  user: { username: string; password: string };
  remove(): Promise<void>;
}

/**
 * A private virtual host on the machine's RabbitMQ. Tests that must use exchange names as they
 * are on Pulse (shared by every test otherwise) get their own namespace, so one test's messages
 * never reach another's queue. With `ownUser`, only a user made for it may use it, not guest:
 * a client that got in must have logged in as that user.
 */
export async function privateVhost(
  label = 'test',
  opts: { ownUser?: boolean } = {},
): Promise<Vhost> {
  const name = `loopabull-${label}-${randomBytes(4).toString('hex')}`;
  const user = opts.ownUser
    ? { username: name, password: randomBytes(8).toString('hex') }
    : { username: 'guest', password: 'guest' };
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  if (opts.ownUser) await run('rabbitmqctl', ['-q', 'add_user', user.username, user.password]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, user.username, '.*', '.*', '.*']);
  return {
    name,
    user,
    url: `amqp://${user.username}:${user.password}@127.0.0.1:5672/${encodeURIComponent(name)}`,
    remove: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]);
      if (opts.ownUser) await run('rabbitmqctl', ['-q', 'delete_user', user.username]);
    },
  };
}
