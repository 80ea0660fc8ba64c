import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Why this process could not write `path` (a directory or file) or create it where it is
 * missing, or null when it can. It changes nothing: `loopabull doctor` checks the places the
 * services write without making them, since doctor run as another user (root) would leave them
 * owned by that user and unwritable by the services.
 */
export async function notWritable(path: string): Promise<string | null> {
  let at = path;
  for (;;) {
    const found = await stat(at).catch(() => null);
    if (found) {
      if (at !== path && !found.isDirectory()) return `${at} is not a directory`;
      const ok = await access(at, constants.W_OK).then(
        () => true,
        () => false,
      );
      if (ok) return null;
      return at === path
        ? `${path} is not writable`
        : `${path} cannot be created: ${at} is not writable`;
    }
    const parent = dirname(at);
    if (parent === at) return `${path} cannot be created`;
    at = parent;
  }
}
