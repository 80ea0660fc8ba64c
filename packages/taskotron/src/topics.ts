/**
 * The topics of taskotron's own jobs, apart from the modules that run them so that the
 * automation's declaration (automation.ts) loads none of their code.
 */

/** The topic a scheduled check is published on: the job of part E.3. */
export const JOB_TOPIC = 'taskotron.job';

/** The topic of a burnt fuse: `playbooks/taskotron.fuse.mjs` hands it to the `fuse` handler. */
export const FUSE_TOPIC = 'taskotron.fuse';
