/** What every bus message becomes, whatever the preset. The job's data in the work queue. */
export interface LoopabullEvent {
  id: string;
  topic: string;
  /** The body as JSON.parse reads it: numbers are JavaScript numbers (`1.0` is 1). */
  body: unknown;
  /**
   * The body's JSON text as published, there only when it may hold numbers JSON.parse does not
   * keep as written (`1.0`, `1e5`, 16 digits or more: mayLoseNumbers). The playbook vars file
   * writes each number from its literal here, so a playbook sees it as Python's json read it
   * (Loopabull 0.0.7): the float `1.0`, an int of any size.
   */
  body_text?: string;
  headers: Record<string, unknown>;
  exchange: string;
  routing_key: string;
  /** When the publisher says it sent the message (ISO 8601), if it says. */
  sent_at: string | null;
  /** When the looper received it (ISO 8601, UTC). */
  received_at: string;
}
