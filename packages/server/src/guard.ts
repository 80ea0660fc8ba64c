import { createHash, timingSafeEqual } from 'node:crypto';
import helmet from 'helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hostForm, type Config } from '@loopabull/core';
import type { ErrorBody } from './error-body.js';
import { answerOtherMethod, answerOtherMethods, otherMethodsAllow } from './methods.js';
import type { BodyToken } from './route-module.js';

type HttpConfig = Config['http'];

const READING = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Said by every changing endpoint while no token is set. */
export const NO_TOKEN_SET =
  'changing endpoints are switched off because no http.token is set. Set http.token in the ' +
  'config (a long random string, e.g. from `openssl rand -hex 32`), restart `loopabull serve` ' +
  'and send Authorization: Bearer <token>. The CLI (loopabull pause, resume, jobs retry, jobs ' +
  'remove) needs no token: it acts through Redis.';

/**
 * The Host headers `loopabull serve` answers. An entry without a port allows any port, so the
 * defaults (the bind address, localhost, 127.0.0.1, [::1]) hold with and without `:port`.
 */
export function allowedHosts(http: Pick<HttpConfig, 'host' | 'allowed_hosts'>): string[] {
  return (http.allowed_hosts ?? [http.host, 'localhost', '127.0.0.1', '[::1]']).map(hostForm);
}

function hostAllowed(header: string | undefined, allowed: Set<string>): boolean {
  if (!header) return false;
  // A browser sends the name as the URL has it: `http://loopabull.example.org.:8080/` is the
  // same server as without the dot.
  const host = hostForm(header);
  if (allowed.has(host)) return true;
  const port = /:\d+$/.exec(host);
  return port !== null && allowed.has(host.slice(0, port.index));
}

/** Compared as digests of one length: comparing the texts would end early, telling the length. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Whether a browser sent this from another site's page. Such a request would act with whatever
 * reaches the server from the victim's machine, so it is refused even with a valid token.
 */
function crossOrigin(req: FastifyRequest): string | null {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site is ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    // "null" (sandboxed frames, file: pages) and junk: no origin we could be.
  }
  return host !== null && host === req.headers.host?.toLowerCase()
    ? null
    : `Origin ${JSON.stringify(origin)} is not this server`;
}

/**
 * Only JSON may change state: HTML forms can post text/plain, urlencoded and multipart bodies
 * across sites without a CORS preflight, but not application/json.
 */
function notJson(req: FastifyRequest): string | null {
  const type = req.headers['content-type'];
  if (type === undefined) {
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      Number(req.headers['content-length'] ?? 0) > 0;
    return hasBody ? 'a body without Content-Type' : null;
  }
  const media = type.split(';')[0]!.trim().toLowerCase();
  return media === 'application/json' ? null : `Content-Type ${JSON.stringify(media)}`;
}

/** RFC 7235: the scheme is case-insensitive (`bearer`, `BEARER`), followed by one or more spaces. */
const BEARER = /^bearer +/i;

function bearerToken(req: FastifyRequest): string {
  const header = req.headers.authorization ?? '';
  const scheme = BEARER.exec(header);
  return scheme ? header.slice(scheme[0].length) : '';
}

/** The token a body carries under `key` (a module's `bodyToken`), or '' when it has none. */
function bodyTokenOf(body: unknown, key: string): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return '';
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : '';
}

const needsToken = (bodyToken?: BodyToken) =>
  'this endpoint changes state and needs Authorization: Bearer <http.token>' +
  (bodyToken ? ` (or "${bodyToken.key}": "<http.token>" in the JSON body)` : '');

/**
 * Every answer's headers, set before the route runs so that a header the route sets itself wins
 * (pages their policy through `sendPage`, the slave allocator's editor its own, artifacts a
 * sandbox). What matters to data (OWASP's REST Security Cheat Sheet): not framed, not sniffed,
 * not embedded by another site, and nothing loads if a browser opens it as a document. No
 * `Strict-Transport-Security`: whether the name is served over TLS, and for how long, is for the
 * proxy in front to say.
 */
export const everyAnswer = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
  strictTransportSecurity: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

/**
 * Added to pages: helmet's headers that only govern documents. On every answer they were some
 * 500 bytes beside `/machines/<id>`'s 30, and cost it a third of its rate under load.
 */
const documentsOnly = helmet({
  contentSecurityPolicy: false,
  crossOriginResourcePolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: false,
  xFrameOptions: false,
});

const isPage = (type: ReturnType<FastifyReply['getHeader']>) =>
  typeof type === 'string' && type.startsWith('text/html');

/** The guard's refusals: JSON, in the shape the URL's module words errors in. */
const refusal =
  (errorBody: ErrorBody) =>
  (req: FastifyRequest, reply: FastifyReply, code: number, error: string) =>
    reply.code(code).type('application/json; charset=utf-8').send(errorBody(req.url, error));

/** The check every request passes first: its Host is one this server answers (DNS rebinding). */
function refuseForeignHost(http: HttpConfig, errorBody: ErrorBody) {
  const hosts = new Set(allowedHosts(http));
  const refuse = refusal(errorBody);
  return (req: FastifyRequest, reply: FastifyReply) =>
    hostAllowed(req.headers.host, hosts)
      ? undefined
      : refuse(
          req,
          reply,
          req.headers.host ? 421 : 400,
          `Host ${JSON.stringify(req.headers.host ?? '')} is not one of http.allowed_hosts`,
        );
}

/**
 * Everything `loopabull serve` checks before a route runs: the Host header (DNS rebinding), then
 * for changing methods the token, the origin and the body's type; and the headers that keep
 * answers out of other sites' frames and stop browsers guessing types.
 *
 * A method the path does not take is answered 405 between the two (methods.ts): that runs no
 * route and says only which methods the path takes, as a GET to it or docs/http.md would, and a
 * client that sent a wrong method learns that, not that it lacks a token.
 *
 * Returns what answers a request whose token was to be read from its body when that body could
 * not be read (not JSON, too large): 401 as for any request without the token, so that a client
 * without it learns nothing of how its body was taken; undefined for any other request.
 */
export function guardRequests(
  app: FastifyInstance,
  http: HttpConfig,
  errorBody: ErrorBody,
  bodyTokens: readonly BodyToken[] = [],
): (req: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined {
  app.addHook('onRequest', (req, reply, done) => everyAnswer(req.raw, reply.raw, () => done()));
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!isPage(reply.getHeader('content-type'))) return done(null, payload);
    documentsOnly(req.raw, reply.raw, () => done(null, payload));
  });

  const refuse = refusal(errorBody);
  const foreignHost = refuseForeignHost(http, errorBody);
  app.addHook('onRequest', async (req, reply) => foreignHost(req, reply));
  answerOtherMethods(app, errorBody);
  const token = http.token;
  const unauthorized = (req: FastifyRequest, reply: FastifyReply, bodyToken?: BodyToken) => {
    reply.header('www-authenticate', 'Bearer');
    return refuse(req, reply, 401, needsToken(bodyToken));
  };
  /** Requests whose token is looked for in their body once it is read, with where. */
  const bodyChecked = new WeakMap<FastifyRequest, BodyToken>();
  app.addHook('onRequest', async (req, reply) => {
    if (READING.has(req.method)) return;
    if (!token) return refuse(req, reply, 403, NO_TOKEN_SET);
    const foreign = crossOrigin(req);
    if (foreign) return refuse(req, reply, 403, `cross-origin request refused: ${foreign}`);
    const body = notJson(req);
    if (body) {
      return refuse(req, reply, 415, `changing requests take application/json only, not ${body}`);
    }
    if (sameSecret(bearerToken(req), token)) return;
    const inBody = bodyTokens.find((b) => req.url.startsWith(b.under));
    if (!inBody) return unauthorized(req, reply);
    bodyChecked.set(req, inBody);
  });
  app.addHook('preValidation', async (req, reply) => {
    const inBody = bodyChecked.get(req);
    if (inBody && !sameSecret(bodyTokenOf(req.body, inBody.key), token ?? ''))
      return unauthorized(req, reply, inBody);
  });
  return (req, reply) => {
    const inBody = bodyChecked.get(req);
    return inBody ? unauthorized(req, reply, inBody) : undefined;
  };
}

/**
 * What the guard answers of a request the router could not read (bad-url.ts), given the path as
 * its routes would take it (`readable`): a method that path does not take is answered as on any
 * path (methods.ts), after the Host check, in the same order as above. Anything else is left to
 * the misses (undefined): such a request reaches no route, so the token is not asked for.
 */
export function guardUnroutable(http: HttpConfig, errorBody: ErrorBody) {
  const foreignHost = refuseForeignHost(http, errorBody);
  return (req: FastifyRequest, reply: FastifyReply, readable: string) => {
    const allow = otherMethodsAllow(reply.server, req.method, readable);
    if (!allow) return undefined;
    return foreignHost(req, reply) ?? answerOtherMethod(req, reply, allow, errorBody);
  };
}
