import { sha256 } from './hash.js';

const READABLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The BullMQ job id for an event: the event id itself when BullMQ can use it (no `:`, not all
 * digits), which keeps ids like fedora-messaging UUIDs readable in `loopabull jobs`; a hash
 * otherwise. Deterministic, so a redelivered message maps to the job that already exists.
 */
export function jobIdFor(eventId: string): string {
  if (READABLE_ID.test(eventId) && !/^\d+$/.test(eventId)) return eventId;
  return 'h' + sha256(eventId).slice(0, 40);
}
