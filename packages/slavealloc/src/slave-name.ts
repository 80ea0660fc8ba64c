/**
 * A slave name as slavealloc stores it: lowercased as the original did, Python 2's `str.lower()`
 * of the bytes Twisted gave, A to Z only. `toLowerCase()` would also make the Kelvin sign
 * (U+212A) a `k`, so that `/gettac/%E2%84%AAVM-SLAVE01` (or a message naming it) would reach
 * `kvm-slave01`.
 */
export const asciiLower = (name: string): string =>
  name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
