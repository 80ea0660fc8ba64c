/**
 * JSON as the bus wrote it, without the engine: numbers as written, and how deep a body nests.
 * What the vars-file writer imports, so that `loopabull run --dry-run` loads no BullMQ, ioredis,
 * amqplib or winston (docs/benchmarks.md, "CLI start-up").
 */
export {
  member,
  numberLiteral,
  numberLiterals,
  pythonNumber,
  PYTHON_MAX_INT_DIGITS,
} from './json-numbers.js';
export { nestingDepth } from './intake.js';
