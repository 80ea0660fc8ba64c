import { createHash } from 'node:crypto';

/** SHA-256 (hex) of several parts, each ended by a NUL so that no two splits of one text agree. */
export const sha256 = (...parts: Array<string | Buffer>): string => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex');
};

/**
 * SHA-256 (hex) of one text's UTF-8 bytes, as `sha256sum` or Python's hashlib print it: for ids
 * the spec defines as a text hashed, which anyone outside can compute again.
 */
export const sha256Text = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');
