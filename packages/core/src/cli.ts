/**
 * What a command's definition (its name, options and help) and the CLI's start need, without the
 * engine: nothing here imports BullMQ, ioredis, amqplib or winston, which the barrel
 * (`@loopabull/core`) loads. A command imports the barrel inside its action, with
 * `await import()`, so `loopabull --help` and each command load only what they use
 * (docs/benchmarks.md, "CLI start-up").
 */
export { ConfigError, PermanentError, TransientError } from './errors.js';
export { sha256Text } from './hash.js';
export {
  lazyAutomation,
  registered,
  type Automation,
  type AutomationParts,
  type AutomationEnv,
  type AutomationSection,
  type CommandEnv,
  type DoctorCheck,
} from './automation.js';
export { enabledAutomations, sectionOf } from './automation-host.js';
export { loadConfig, resolveFrom } from './config/load.js';
export type { Config } from './config/schema.js';
export { seconds as timerSeconds } from './config/schema.js';
export { httpBaseUrl } from './config/http-address.js';
export {
  DEPTH_SAMPLE,
  DEPTH_STATES,
  JOB_STATES,
  LIST_MAX,
  TOPIC_SCAN,
  type JobDetail,
  type QueueDepth,
} from './job-types.js';
export { isParked, parkedBodySize, PARKED_LIST_MAX, type ParkedDetail } from './parking.js';
export { failureHeading, failureSummary } from './failure-summary.js';
export { topicAllowed, topicProblem } from './topic.js';
export { bindingsDeliver, eventAsPublished } from './presets.js';
export { jobIdFor } from './job-id.js';
export { counted, formatTable, printable } from './format.js';
export { redactUrl } from './redact-url.js';
export { parseDuration, formatDuration } from './duration.js';
export { isObject, type JsonObject } from './json-object.js';
export { unstorableText } from './storable-text.js';
export {
  bodyText,
  member,
  numberLiteral,
  numberLiterals,
  pythonFloat,
  pythonNumber,
  PYTHON_MAX_INT_DIGITS,
} from './json-numbers.js';
export { nestingDepth } from './intake.js';
export {
  COMMAND_INPUT_MAX_BYTES,
  commandFileName,
  configOption,
  exitCodesAndExamples,
  inputTooLarge,
  printJson,
  readCommandFile,
  writeCommandFile,
} from './cli-options.js';
