/**
 * x^y for 0 <= x < 1 and finite y > 1, rounded as fdlibm's `e_pow.c` (FreeBSD msun) rounds it,
 * ported from `@stdlib/math-base-special-pow` 0.2 (main.js, log2ax.js, logx.js, pow2.js) so that
 * the gamma sampler's boost U^(1/shape) has stdlib's bits. V8's Math.pow differs from it in the
 * last bit for a few per cent of arguments. Only the branches reachable for that domain are kept.
 */

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** Index of the high (sign, exponent, top of significand) word on this platform. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

function highWord(x: number): number {
  F64[0] = x;
  return U32[HI];
}
function lowWord(x: number): number {
  F64[0] = x;
  return U32[LO];
}
function withLowWord(x: number, low: number): number {
  F64[0] = x;
  U32[LO] = low;
  return F64[0];
}
function withHighWord(x: number, high: number): number {
  F64[0] = x;
  U32[HI] = high;
  return F64[0];
}

const ABS_MASK = 0x7fffffff;
const HIGH_SIGNIFICAND_MASK = 0x000fffff;
const HIGH_NUM_SIGNIFICAND_BITS = 20;
const BIAS = 1023;
const HIGH_MIN_NORMAL_EXP = 0x00100000;
const HIGH_BIASED_EXP_0 = 0x3ff00000;
const HUGE = 1.0e300;
const TINY = 1.0e-300;
const OVT = 8.008566259537294e-17; // -(1024 - log2(ovfl + 0.5 ulp))
const LN2 = 0.6931471805599453;

/** log2(ax) as t1 + t2 (t1 with its low word cleared), for 0 < ax < 2^31-ish (fdlibm's main path). */
function log2ax(ax: number, ahx: number): [number, number] {
  const CP = 9.61796693925975554329e-1;
  const CP_HI = 9.61796700954437255859e-1;
  const CP_LO = -7.02846165095275826516e-9;
  const BP = [1.0, 1.5];
  const DP_HI = [0.0, 5.84962487220764160156e-1];
  const DP_LO = [0.0, 1.35003920212974897128e-8];
  let n = 0;
  if (ahx < HIGH_MIN_NORMAL_EXP) {
    ax *= 9007199254740992.0; // subnormal: scale by 2^53
    n -= 53;
    ahx = highWord(ax);
  }
  n += ((ahx >> HIGH_NUM_SIGNIFICAND_BITS) - BIAS) | 0;
  const j = ahx & HIGH_SIGNIFICAND_MASK;
  ahx = j | HIGH_BIASED_EXP_0;
  let k: number;
  if (j <= 0x3988e) k = 0;
  else if (j < 0xbb67a) k = 1;
  else {
    k = 0;
    n += 1;
    ahx -= HIGH_MIN_NORMAL_EXP;
  }
  ax = withHighWord(ax, ahx);
  const bp = BP[k];
  let u = ax - bp;
  let v = 1.0 / (ax + bp);
  const ss = u * v;
  const hs = withLowWord(ss, 0);
  let tmp = ((ahx >> 1) | 0x20000000) + 0x00080000;
  tmp += k << 18;
  let ht = withHighWord(0.0, tmp);
  let lt = ax - (ht - bp);
  const ls = v * (u - hs * ht - hs * lt);
  let s2 = ss * ss;
  const l =
    s2 === 0.0
      ? 0.5999999999999946
      : 0.5999999999999946 +
        s2 *
          (0.4285714285785502 +
            s2 *
              (0.33333332981837743 +
                s2 * (0.272728123808534 + s2 * (0.23066074577556175 + s2 * 0.20697501780033842))));
  let r = s2 * s2 * l;
  r += ls * (hs + ss);
  s2 = hs * hs;
  ht = 3.0 + s2 + r;
  ht = withLowWord(ht, 0);
  lt = r - (ht - 3.0 - s2);
  u = hs * ht;
  v = ls * ht + lt * ss;
  let hp = u + v;
  hp = withLowWord(hp, 0);
  const lp = v - (hp - u);
  const hz = CP_HI * hp;
  const lz = CP_LO * hp + lp * CP + DP_LO[k];
  const dp = DP_HI[k];
  const t = n;
  let t1 = hz + lz + dp + t;
  t1 = withLowWord(t1, 0);
  const t2 = lz - (t1 - t - dp - hz);
  return [t1, t2];
}

/** z * 2^n as stdlib's ldexp computes it for a normal z near 1 (one rounding when subnormal). */
function ldexp(z: number, n: number): number {
  if (z === 0) return z;
  const e = ((highWord(z) & 0x7ff00000) >> 20) - BIAS + n;
  if (e < -1074) return 0;
  if (e <= -1023) return z * 2 ** (n + 52) * 2 ** -52;
  return z * 2 ** n;
}

/** 2^(hp + lp) for the pair from log2ax times y (fdlibm's final step). */
function pow2(j: number, hp: number, lp: number): number {
  const LN2_HI = 6.93147182464599609375e-1;
  const LN2_LO = -1.90465429995776804525e-9;
  const i = j & ABS_MASK;
  let k = ((i >> HIGH_NUM_SIGNIFICAND_BITS) - BIAS) | 0;
  let n = 0;
  if (i > 0x3fe00000) {
    n = (j + (HIGH_MIN_NORMAL_EXP >> (k + 1))) >>> 0;
    k = (((n & ABS_MASK) >> HIGH_NUM_SIGNIFICAND_BITS) - BIAS) | 0;
    const tmp = (n & ~(HIGH_SIGNIFICAND_MASK >> k)) >>> 0;
    const t = withHighWord(0.0, tmp);
    n = (((n & HIGH_SIGNIFICAND_MASK) | HIGH_MIN_NORMAL_EXP) >> (HIGH_NUM_SIGNIFICAND_BITS - k)) >>> 0;
    if (j < 0) n = -n;
    hp -= t;
  }
  let t = lp + hp;
  t = withLowWord(t, 0);
  const u = t * LN2_HI;
  const v = (lp - (t - hp)) * LN2 + t * LN2_LO;
  let z = u + v;
  const w = v - (z - u);
  t = z * z;
  const p =
    t === 0.0
      ? 0.16666666666666602
      : 0.16666666666666602 +
        t *
          (-0.0027777777777015593 +
            t * (0.00006613756321437934 + t * (-0.0000016533902205465252 + t * 4.1381367970572385e-8)));
  const t1 = z - t * p;
  const r = (z * t1) / (t1 - 2.0) - (w + z * w);
  z = 1.0 - (r - z);
  let jz = highWord(z) | 0;
  jz += (n << HIGH_NUM_SIGNIFICAND_BITS) >>> 0;
  if (jz >> HIGH_NUM_SIGNIFICAND_BITS <= 0) return ldexp(z, n);
  return withHighWord(z, jz >>> 0);
}

/**
 * x^y as `@stdlib/math-base-special-pow` computes it.
 * @param x base, 0 <= x < 1
 * @param y exponent, finite, 1 < y < 2^31
 * @returns x^y, bit-identical to stdlib's pow for these arguments
 * @throws RangeError for arguments outside that domain (not needed by the gamma sampler)
 */
export function fdlibmPow(x: number, y: number): number {
  if (!(x >= 0 && x < 1 && y > 1 && y < 2147483648)) {
    throw new RangeError(`fdlibmPow: (${x}, ${y}) outside 0 <= x < 1, 1 < y < 2^31`);
  }
  if (lowWord(y) === 0) {
    if (y === 2.0) return x * x;
    if (y === 3.0) return x * x * x;
    if (y === 4.0) {
      const x2 = x * x;
      return x2 * x2;
    }
  }
  if (x === 0) return 0;
  const ahx = highWord(x) & ABS_MASK;
  const [t0, t1] = log2ax(x, ahx);
  const y1 = withLowWord(y, 0);
  const lp = (y - y1) * t0 + y * t1;
  const hp = y1 * t0;
  let z = lp + hp;
  const j = highWord(z) | 0;
  const i = lowWord(z) | 0;
  if (j >= 0x40900000) {
    if (((j - 0x40900000) | i) !== 0) return HUGE * HUGE;
    if (lp + OVT > z - hp) return HUGE * HUGE;
  } else if ((j & ABS_MASK) >= 0x4090cc00) {
    if (((j - (0xc090cc00 | 0)) | i) !== 0) return TINY * TINY;
    if (lp <= z - hp) return TINY * TINY;
  }
  z = pow2(j, hp, lp);
  return z;
}
