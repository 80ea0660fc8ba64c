import type { Automation } from '@loopabull/core';
import { hardware } from '@loopabull/hardware';
import { slavealloc } from '@loopabull/slavealloc';
import { taskotron } from '@loopabull/taskotron';

/**
 * The shipped automations: the one list that the CLI, the server, the workers and `doctor`
 * read. Adding an automation is writing its package and naming it here.
 */
export const shippedAutomations: readonly Automation[] = [hardware, slavealloc, taskotron];
