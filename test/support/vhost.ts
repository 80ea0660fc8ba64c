import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Vhost {
  /** amqp URL of the shared broker in this vhost (guest/guest). */
  url: string;
  name: string;
  remove(): Promise<void>;
}

/**
 * A private virtual host on the machine's RabbitMQ. Tests that must use exchange names as they
 * are on Pulse (shared by every test otherwise) get their own namespace, so one test's messages
 * never reach another's queue.
 */
export async function privateVhost(label = 'test'): Promise<Vhost> {
  const name = `loopabull-${label}-${randomBytes(4).toString('hex')}`;
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    remove: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]);
    },
  };
}
