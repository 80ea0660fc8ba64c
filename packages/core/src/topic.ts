const TOPIC_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/**
 * Why a topic cannot be used, or null when it can. A topic names a file in the playbooks
 * directory, so anything that could step out of it (`/`, `..`) is refused before it gets near one.
 */
export function topicProblem(topic: string): string | null {
  if (!TOPIC_RE.test(topic)) {
    return `topic ${JSON.stringify(topic.slice(0, 300))} must match ${TOPIC_RE.source}`;
  }
  if (topic.includes('..')) return `topic ${JSON.stringify(topic)} contains '..'`;
  return null;
}

/** Loopabull's `routing_keys` filter: `[all]` takes everything, otherwise exact topics. */
export function topicAllowed(topic: string, routingKeys: readonly string[]): boolean {
  return routingKeys[0] === 'all' || routingKeys.includes(topic);
}
