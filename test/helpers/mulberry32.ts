/**
 * A small seeded pseudo-random generator for tests (mulberry32, public domain): the same seed
 * always gives the same sequence, on every machine.
 * @param seed any integer (its low 32 bits are used)
 * @param open `[0, 1)` (default) or `(0, 1)`, for draws that go through a logarithm
 * @returns a function returning the next uniform draw
 */
export function mulberry32(seed: number, open: '[0, 1)' | '(0, 1)' = '[0, 1)'): () => number {
  const offset = open === '(0, 1)' ? 0.5 : 0;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + offset) / 4294967296;
  };
}
