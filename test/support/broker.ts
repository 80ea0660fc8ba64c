import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `rabbitmqctl` of the machine's broker lists, as JSON rows. */
async function list(
  what: string,
  vhost: string,
  columns: string[],
): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run('rabbitmqctl', [
    '-q',
    what,
    '--formatter',
    'json',
    '-p',
    vhost,
    ...columns,
  ]);
  return JSON.parse(stdout) as Array<Record<string, unknown>>;
}

/**
 * A queue's messages as the machine's broker counts them: ready to deliver, and delivered to a
 * consumer that has not acked them yet (which `checkQueue` does not tell). Null: no such queue.
 */
export async function queueMessages(
  queue: string,
  vhost = '/',
): Promise<{ ready: number; unacked: number } | null> {
  const rows = await list('list_queues', vhost, [
    'name',
    'messages_ready',
    'messages_unacknowledged',
  ]);
  const row = rows.find((r) => r.name === queue);
  return row
    ? { ready: Number(row.messages_ready), unacked: Number(row.messages_unacknowledged) }
    : null;
}

/** The prefetch count of each consumer of a queue on the machine's broker. */
export async function consumerPrefetch(queue: string, vhost = '/'): Promise<number[]> {
  const rows = await list('list_consumers', vhost, ['queue_name', 'prefetch_count']);
  return rows.filter((r) => r.queue_name === queue).map((r) => Number(r.prefetch_count));
}
