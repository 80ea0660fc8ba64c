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

/**
 * Whether a binding's routing-key pattern matches a routing key, as the broker decides for a
 * topic exchange: `*` is one word, `#` any number of words (none included).
 */
export function bindingMatches(pattern: string, routingKey: string): boolean {
  const match = (p: readonly string[], k: readonly string[]): boolean => {
    if (p.length === 0) return k.length === 0;
    const [head, ...rest] = p;
    if (head === '#') return match(rest, k) || (k.length > 0 && match(p, k.slice(1)));
    return k.length > 0 && (head === '*' || head === k[0]) && match(rest, k.slice(1));
  };
  return match(pattern.split('.'), routingKey.split('.'));
}
