import { sha256 } from './hash.js';

const READABLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Ids kept for others: all digits (BullMQ's own numbering) and `<ms>-<seq>`, a parked message's
 * stream id, which `jobs show` and `/jobs/<id>` would otherwise find as a job, hiding the parked one.
 */
const RESERVED_ID = /^\d+(-\d+)?$/;

/**
 * The BullMQ job id for an event: the event id itself when it is readable and not reserved, which
 * keeps ids like fedora-messaging UUIDs readable in `loopabull jobs`; a hash otherwise.
 * Deterministic, so a redelivered message maps to the job that already exists.
 */
export function jobIdFor(eventId: string): string {
  if (READABLE_ID.test(eventId) && !RESERVED_ID.test(eventId)) return eventId;
  return 'h' + sha256(eventId).slice(0, 40);
}
