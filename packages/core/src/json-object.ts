/** A parsed JSON object: what message bodies, headers and config blocks are checked to be. */
export type JsonObject = Record<string, unknown>;

/** A plain object, not null and not an array. */
export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
