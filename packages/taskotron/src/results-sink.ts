import { TransientError } from '@loopabull/core/cli';
import { CHECK_OUTCOMES } from './outcomes.js';
import type { JobEnd } from './job-log.js';
import { joinUrl } from './join-url.js';
import { testcaseRefUrl, type ExecutionStatus, type ResultsdbPayload } from './report.js';
import { parseNewResult, utcNow } from './resultsdb/api.js';
import type { ResultsRecorder } from './resultsdb/recorder.js';
import { pathValue } from './resultsdb/werkzeug.js';

/** A result taken (with its id), or refused with ResultsDB's reason. */
export type Submitted = { ok: true; id: number } | { ok: false; message: string };

/**
 * Where the runner reports results. A result the store refuses (400) is `{ok: false}`: the check
 * wrote something ResultsDB does not take, and another try would write it again. A store that
 * cannot be reached throws a TransientError: the job is retried.
 */
export interface ResultsSink {
  /** For logs: "the built-in ResultsDB", or the remote URL. */
  readonly name: string;
  /** `signal` stops a submission still waiting for its answer (the run's, stopped or timed out). */
  submit(body: ResultsdbPayload, signal?: AbortSignal): Promise<Submitted>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The built-in store, through the recorder (so the result events go out). It takes checkb's
 * outcomes, ABORTED and CRASHED included (Fedora's ResultsDB had them as additional outcomes);
 * the API's POST takes ResultsDB's four. A testcase a result creates gets `testcaseRefUrl`.
 */
export function localSink(recorder: ResultsRecorder, now = utcNow): ResultsSink {
  return {
    name: 'the built-in ResultsDB',
    async submit(body) {
      const parsed = parseNewResult(body, { outcomes: CHECK_OUTCOMES, now: now() });
      if (!parsed.ok) return parsed;
      try {
        const stored = await recorder.record(
          parsed.value,
          testcaseRefUrl(parsed.value.testcase.name),
        );
        return { ok: true, id: stored.id };
      } catch (err) {
        throw new TransientError(`the results store did not take the result: ${message(err)}`, {
          cause: err,
        });
      }
    },
  };
}

/** How long a remote ResultsDB may take to answer one request. */
const REMOTE_TIMEOUT_MS = 30_000;

/** A remote ResultsDB's answer: its status, its JSON (`{}` when none) and what it said. */
interface Answer {
  status: number;
  json: { id?: unknown; message?: unknown };
  said: string;
}

/**
 * One request to a remote ResultsDB, with the token when one is configured. No answer (or
 * `signal` stopping it) throws a TransientError.
 */
async function ask(
  endpoint: string,
  init: { method: 'GET' | 'POST'; body?: unknown },
  token: string | null,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: init.method,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.any([
        AbortSignal.timeout(REMOTE_TIMEOUT_MS),
        ...(signal ? [signal] : []),
      ]),
    });
  } catch (err) {
    if (signal?.aborted)
      throw new TransientError(
        `reporting to ResultsDB at ${endpoint} stopped: ${message(signal.reason)}`,
      );
    throw new TransientError(`ResultsDB at ${endpoint} did not answer: ${message(err)}`);
  }
  const text = await res.text().catch(() => '');
  const json = (() => {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Answer['json']) : {};
    } catch {
      return {};
    }
  })();
  const said = typeof json.message === 'string' ? json.message : text.slice(0, 300);
  return { status: res.status, json, said };
}

const ok = (a: Answer) => a.status >= 200 && a.status <= 299;

/** A 400 or 422 refuses what was sent; any other answer not expected is for a later try. */
function refusal(endpoint: string, a: Answer): { ok: false; message: string } {
  if (a.status === 400 || a.status === 422) return { ok: false, message: a.said };
  const hint = a.status === 401 || a.status === 403 ? ' (check taskotron.resultsdb_token)' : '';
  throw new TransientError(`ResultsDB at ${endpoint} answered ${a.status}${hint}: ${a.said}`);
}

/**
 * A remote ResultsDB v2.0 (`taskotron.resultsdb_url`, e.g. `https://host/resultsdb_api/api/v2.0`):
 * `POST <url>/results`, with `Authorization: Bearer <token>` when one is configured. Before a
 * result of a testcase not yet seen by this sink, as libtaskotron's resultsdb directive,
 * `GET <url>/testcases/<name>`, and on a 404 `POST <url>/testcases` `{name, ref_url}`
 * (`testcaseRefUrl`); a testcase found or created is not asked for again. A 400 or 422 refuses
 * the result; no answer, 5xx, 408, 429, and 401/403 (a token to fix, then `jobs retry`) throw a
 * TransientError.
 */
export function remoteSink(url: string, token: string | null): ResultsSink {
  const testcases = joinUrl(url, 'testcases');
  const results = joinUrl(url, 'results');
  /** Testcases found or created: once per process, as the directive's `_ensured_testcases`. */
  const ensured = new Set<string>();

  /** Null once the testcase exists, else ResultsDB's refusal of it. */
  async function ensureTestcase(name: string, signal?: AbortSignal) {
    if (ensured.has(name)) return null;
    // The name as ResultsDB's `<path:testcase_name>` reads it: `/` raw, not `%2F`.
    const at = `${testcases}/${pathValue(name)}`;
    const found = await ask(at, { method: 'GET' }, token, signal);
    if (found.status === 404) {
      const body = { name, ref_url: testcaseRefUrl(name) };
      const made = await ask(testcases, { method: 'POST', body }, token, signal);
      if (!ok(made)) {
        const refused = refusal(testcases, made);
        return { ok: false as const, message: `testcase ${name} not created: ${refused.message}` };
      }
    } else if (!ok(found)) return refusal(at, found);
    ensured.add(name);
    return null;
  }

  return {
    name: url,
    async submit(body, signal) {
      const refused = await ensureTestcase(body.testcase.name, signal);
      if (refused) return refused;
      const a = await ask(results, { method: 'POST', body }, token, signal);
      if (ok(a) && typeof a.json.id === 'number') return { ok: true, id: a.json.id };
      return refusal(results, a);
    },
  };
}

/**
 * Submits `bodies` in order from the first not in `submitted` (a retry resumes there), appending
 * each answer to `submitted` and calling `after` before the next; a TransientError stops it, as
 * does `signal` (for a remote ResultsDB, at once).
 */
export async function submitAll(
  bodies: readonly ResultsdbPayload[],
  sink: ResultsSink,
  submitted: Submitted[],
  signal: AbortSignal | undefined,
  after: (s: Submitted, index: number) => Promise<void>,
): Promise<Submitted[]> {
  for (let i = submitted.length; i < bodies.length; i++) {
    submitted.push(await sink.submit(bodies[i]!, signal));
    await after(submitted[i]!, i);
  }
  return submitted;
}

/** How a job ends: NOT_OK when the check is, or when ResultsDB refused some of its results. */
export function jobEnd(status: ExecutionStatus, submitted: readonly Submitted[]): JobEnd {
  const refused = submitted.flatMap((s) => (s.ok ? [] : [s.message]));
  // A NOT_OK check may have results too (its other playbooks'): their refusals are said as well.
  if (refused.length === 0) return status;
  return {
    execution_status: 'NOT_OK',
    status: `${status.status}; ResultsDB refused ${refused.length} of ${submitted.length} results: ${refused[0]}`,
  };
}

/**
 * How a run ends when the results store could not be reached (`why`, null: it could) after
 * `reported` of `total` results: NOT_OK, saying how many went and why the others did not.
 */
export function unreportedEnd(
  end: JobEnd,
  reported: number,
  total: number,
  why: string | null,
): JobEnd {
  if (why === null) return end;
  return {
    execution_status: 'NOT_OK',
    status: `${end.status}; ${reported} of ${total} results reported, the others not: ${why}`,
  };
}
