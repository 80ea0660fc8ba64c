/** A task name is a directory under tasks_dir: no slashes, no leading dot. */
export const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;
export const ARCH = /^[A-Za-z0-9_]{1,32}$/;
