import { TransientError } from '@loopabull/core/cli';
import { CHECK_OUTCOMES } from './outcomes.js';
import type { JobEnd } from './job-log.js';
import { joinUrl } from './join-url.js';
import { type ExecutionStatus, type ResultsdbPayload } from './report.js';
import { parseNewResult, utcNow } from './resultsdb/api.js';
import type { ResultsRecorder } from './resultsdb/recorder.js';

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
 * the API's POST takes ResultsDB's four.
 */
export function localSink(recorder: ResultsRecorder, now = utcNow): ResultsSink {
  return {
    name: 'the built-in ResultsDB',
    async submit(body) {
      const parsed = parseNewResult(body, { outcomes: CHECK_OUTCOMES, now: now() });
      if (!parsed.ok) return parsed;
      try {
        return { ok: true, id: (await recorder.record(parsed.value)).id };
      } catch (err) {
        throw new TransientError(`the results store did not take the result: ${message(err)}`, {
          cause: err,
        });
      }
    },
  };
}

/** How long a remote ResultsDB may take to answer one POST. */
const REMOTE_TIMEOUT_MS = 30_000;

/**
 * A remote ResultsDB v2.0 (`taskotron.resultsdb_url`, e.g. `https://host/resultsdb_api/api/v2.0`):
 * `POST <url>/results`, with `Authorization: Bearer <token>` when one is configured. A 400 or 422
 * refuses the result; no answer, 5xx, 408, 429, and 401/403 (a token to fix, then `jobs retry`)
 * throw a TransientError.
 */
export function remoteSink(url: string, token: string | null): ResultsSink {
  const endpoint = joinUrl(url, 'results');
  return {
    name: url,
    async submit(body, signal) {
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
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
          return JSON.parse(text) as { id?: unknown; message?: unknown };
        } catch {
          return {};
        }
      })();
      if (res.ok && typeof json.id === 'number') return { ok: true, id: json.id };
      const said = typeof json.message === 'string' ? json.message : text.slice(0, 300);
      if (res.status === 400 || res.status === 422) return { ok: false, message: said };
      const hint =
        res.status === 401 || res.status === 403 ? ' (check taskotron.resultsdb_token)' : '';
      throw new TransientError(`ResultsDB at ${endpoint} answered ${res.status}${hint}: ${said}`);
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
