export { taskotron } from './automation.js';
export {
  taskotronSection,
  taskotronSettings,
  taskotronPaths,
  artifactsUrl,
  ARTIFACTS_PREFIX,
  SHIPPED_RULES,
  SHIPPED_TASKS_DIR,
  type TaskotronSection,
} from './section.js';
export {
  normalise,
  triggerTopics,
  distgitBranch,
  ITEM_TYPES,
  type ItemType,
  type TriggerData,
  type Normalised,
  type NormaliseOptions,
  type Deployment,
} from './normalise.js';
export { matches, queryProblem, fieldValue, toRegExp, QueryError, type Query } from './query.js';
export { substitute, substituteString, fieldsOf, type Lookup } from './substitute.js';
export {
  loadRules,
  decide,
  RulesError,
  TASK_NAME,
  ARCH,
  type Rule,
  type Action,
  type Wanted,
  type Decision,
  type DecideOptions,
  hostArches,
  actionArches,
  type Discover,
  type Discovery,
} from './rules.js';
export {
  findChecks,
  repoProblem,
  branchProblem,
  CHECK_PATH,
  MAX_DISCOVERED,
  type FoundChecks,
} from './discover.js';
export {
  discoverChecks,
  withClone,
  withCommit,
  withBranchHead,
  GitError,
  type GitOptions,
  type Discovered,
} from './git.js';
export { pruneGitCache, type PruneOptions, type PruneResult } from './git-cache-prune.js';
export {
  CHECK_OUTCOMES,
  RESULTSDB_OUTCOMES,
  exitCodeOf,
  outcomeSummary,
  type CheckOutcome,
} from './outcomes.js';
export {
  parseResultYaml,
  exportResultYaml,
  checkResult,
  ResultsFormatError,
  RESERVED_KEYS,
  RESULT_LIMITS,
  type CheckResult,
  type ParsedResults,
} from './result-yaml.js';
export { parseTap13, tapResults, type TapDocument, type TapTest } from './tap13.js';
export { ResultsStore, type Page } from './resultsdb/store.js';
export { resultsdbRoutes, API, type ResultsdbOptions } from './resultsdb/routes.js';
export { taskotronRoutes } from './resultsdb/mount.js';
export { resultsMigrations, type ResultsTables } from './resultsdb/tables.js';
export {
  parseNewResult,
  parseSubmitTime,
  serializeResult,
  serializeGroup,
  serializeTestcase,
  storedTime,
  isoformat,
  type NewResult,
  type StoredResult,
} from './resultsdb/api.js';
export {
  parseResultQuery,
  likePattern,
  PAGING,
  type ResultFilter,
  type Paging,
} from './resultsdb/filters.js';
export {
  taskotronTrigger,
  schedule,
  scheduleJob,
  sourceOf,
  dedupKey,
  JOB_TOPIC,
  type TriggerJob,
  type TriggerResult,
  type TriggerOptions,
  type TriggerSource,
  type SchedulingContext,
} from './trigger.js';
export { TagFuse, fuseEvent, fuseHandler, fuseId, FUSE_TOPIC } from './fuse.js';
export { joinUrl } from './join-url.js';
export {
  refUrl,
  resultsdbPayload,
  executionStatus,
  type ExecutionStatus,
  type ResultsdbPayload,
} from './report.js';
export {
  JobLog,
  JOB_LOG_OWNER,
  type LoggedJob,
  type NewJob,
  type JobTrigger,
  type JobEnd,
} from './job-log.js';
export { parseJob, JOB_UUID, type RunnerJob } from './job.js';
export { CHECK_FILES, jobArtifactsDir } from './check-layout.js';
export { runCheck, CheckNotFoundError, type CheckRun, type CheckReport } from './runner.js';
export { localSink, remoteSink, type ResultsSink, type Submitted } from './results-sink.js';
export { taskotronRun, type RunJobOptions, type RunJobResult } from './run-job.js';
export { ResultsRecorder, type Publish } from './resultsdb/recorder.js';
export {
  previousFilter,
  resultEvents,
  RESULT_NEW_TOPIC,
  TASKOTRON_RESULT_NEW_TOPIC,
} from './resultsdb/events.js';
export { registerArtifacts } from './artifacts-routes.js';
export { builtinApiUrl } from './runner-start.js';
export { taskotronCommand } from './cli.js';
export { runtaskCommand } from './cli-runtask.js';
export type { CliIo } from './runtask.js';
