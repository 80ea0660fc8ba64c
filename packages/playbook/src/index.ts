export { RunError } from './run-error.js';
export {
  KILL_GRACE_MS,
  playbookCmdProblem,
  playbookCommand,
  playbookEnv,
  runPlaybook,
  spawnPlaybook,
  type PlaybookRun,
  type PlaybookExit,
} from './playbook-runner.js';
export {
  checkVars,
  renderBatchVars,
  renderVars,
  renderExtraVars,
  removeLeftVarsDirs,
  withVarsFile,
  type RunMeta,
  type Json,
} from './vars-file.js';
export {
  classifyExit,
  type Classification,
  type ExitInfo,
  type ExitVerdict,
} from './exit-codes.js';
export { LineSink, type LogLimits, OutputTail } from './output.js';
