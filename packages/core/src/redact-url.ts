/** Query parameters that carry secrets: ioredis reads `?password=`, brokers and proxies take tokens. */
export const SECRET_PARAM = /pass|pwd|secret|token|key|auth|cred|sig/i;

/** What stands in for a URL that cannot be parsed: which part of it is a secret is unknowable. */
export const UNPARSABLE_URL = '<unparsable URL>';

/**
 * URLs may carry passwords; logs, `doctor` and the unauthenticated `/readyz` must not. A user
 * name without a password is redacted too: that is how tokens ride in URLs.
 */
export function redactUrl(url: string): string {
  // A Redis socket path, whose password can only ride in `?password=`.
  if (url.startsWith('/')) {
    const [path, query] = url.split(/\?(.*)/s);
    if (query === undefined) return url;
    const params = new URLSearchParams(query);
    hideSecrets(params);
    return `${path}?${params.toString()}`;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return UNPARSABLE_URL;
  }
  if (u.password) u.password = '***';
  else if (u.username) u.username = '***';
  hideSecrets(u.searchParams);
  return u.toString();
}

function hideSecrets(params: URLSearchParams): void {
  for (const name of new Set(params.keys())) if (SECRET_PARAM.test(name)) params.set(name, '***');
}
