/**
 * Deterministic randomness for the demo city. Models never call Math.random(): every value is a
 * function of a seed and the thing it describes (a device, a day, a lap), so a run can be
 * replayed and a restarted simulator continues the same story.
 */

/** 32-bit FNV-1a of a string: turns ids into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes integers into one well-spread 32-bit value (a murmur3-style finaliser per input). */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let k = Math.imul((p | 0) ^ Math.floor(p / 4294967296), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) determined by the inputs. */
export function unit(...parts: number[]): number {
  return mix(...parts) / 4294967296;
}

/** A number in [lo, hi) determined by the inputs. */
export function between(lo: number, hi: number, ...parts: number[]): number {
  return lo + (hi - lo) * unit(...parts);
}

/** A sequential generator (mulberry32) for building static data such as the device list. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
