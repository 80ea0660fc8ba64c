import type { Automation } from '@loopabull/core';
import { hardware } from '@loopabull/hardware/automation';
import { slavealloc } from '@loopabull/slavealloc/automation';
import { taskotron } from '@loopabull/taskotron/automation';

/**
 * The shipped automations: the one list that the CLI, the server, the workers and `doctor`
 * read. Adding an automation is writing its package and naming it here. Each is imported by its
 * `automation` entry, its name and config section: what it does is imported by the processes
 * that use it, so that the looper loads none of them.
 */
export const shippedAutomations: readonly Automation[] = [hardware, slavealloc, taskotron];
