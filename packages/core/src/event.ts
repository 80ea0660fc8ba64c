/** What every bus message becomes, whatever the preset. The job's data in the work queue. */
export interface LoopabullEvent {
  id: string;
  topic: string;
  body: unknown;
  headers: Record<string, unknown>;
  exchange: string;
  routing_key: string;
  /** When the publisher says it sent the message (ISO 8601), if it says. */
  sent_at: string | null;
  /** When the looper received it (ISO 8601, UTC). */
  received_at: string;
}
