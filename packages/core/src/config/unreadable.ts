/**
 * Why a file the configuration names cannot be read, in words rather than as the system call's
 * `ENOENT: no such file or directory, open '…'`.
 */
export function whyUnreadable(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'it does not exist';
  if (err.code === 'EISDIR') return 'it is a directory';
  if (err.code === 'EACCES') return 'permission denied to this user';
  return err.message;
}
