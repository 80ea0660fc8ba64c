import { createHash } from 'node:crypto';

export const sha256 = (...parts: Array<string | Buffer>): string => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex');
};
