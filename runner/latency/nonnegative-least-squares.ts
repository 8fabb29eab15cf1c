/** Options of `nonnegativeLeastSquares`. */
export interface NonnegativeLeastSquaresOptions {
  /**
   * A coefficient enters the solution only while its gradient component w_j = (A^T (b - A x))_j
   * exceeds this. Default 10 eps ||A||_1 max(m, n) ||b||_inf (MATLAB `lsqnonneg`'s tolerance,
   * scaled by b so that it does not depend on b's units).
   */
  tolerance?: number;
  /** Outer iterations before giving up; default 3n + 10 (Lawson and Hanson report at most ~n/2 in practice). */
  maxIterations?: number;
}

/** Solution of a non-negative least-squares problem. */
export interface NonnegativeLeastSquaresResult {
  /** The minimiser, n values, each >= 0. */
  x: number[];
  /** ||A x - b||_2, in b's units. */
  residualNorm: number;
  /** Outer iterations (coefficients moved into the passive set). */
  iterations: number;
}

/**
 * Non-negative least squares: the x >= 0 that minimises ||A x - b||_2, by the active-set method of
 * Lawson and Hanson (Solving Least Squares Problems, 1974, ch. 23, algorithm NNLS). Dense and
 * meant for small problems (tens of columns, hundreds of rows): every inner step solves the
 * unconstrained problem on the passive columns by Householder QR from scratch.
 *
 * A column whose trial coefficient comes out <= 0 when it enters (rounding, or a column linearly
 * dependent on the passive ones) is skipped until x next changes, the safeguard of the original
 * Fortran code; this also keeps rank-deficient problems from cycling.
 *
 * @param a the matrix A as m rows of n numbers (m >= 1, n >= 1)
 * @param b the right-hand side, m numbers
 * @param options tolerance and iteration limit
 * @returns x (n values >= 0), the residual norm and the iterations used
 * @throws RangeError when A is empty or ragged, b's length is not m, or an entry is not finite
 * @throws Error when the iteration limit is reached (does not happen on well-posed problems)
 */
export function nonnegativeLeastSquares(
  a: readonly (readonly number[])[],
  b: readonly number[],
  options: NonnegativeLeastSquaresOptions = {},
): NonnegativeLeastSquaresResult {
  const m = a.length;
  const n = m > 0 ? a[0].length : 0;
  if (m === 0 || n === 0)
    throw new RangeError('nonnegativeLeastSquares: A must have at least one row and column');
  if (b.length !== m) {
    throw new RangeError(`nonnegativeLeastSquares: A has ${m} rows but b has ${b.length} entries`);
  }
  let normA1 = 0;
  const colSums = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const row = a[i];
    if (row.length !== n) {
      throw new RangeError(`nonnegativeLeastSquares: row ${i} of A has ${row.length} entries, not ${n}`);
    }
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(row[j]))
        throw new RangeError(`nonnegativeLeastSquares: A[${i}][${j}] is not finite`);
      colSums[j] += Math.abs(row[j]);
    }
    if (!Number.isFinite(b[i])) throw new RangeError(`nonnegativeLeastSquares: b[${i}] is not finite`);
  }
  for (let j = 0; j < n; j++) normA1 = Math.max(normA1, colSums[j]);
  const normBInf = b.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  const tol = options.tolerance ?? 10 * Number.EPSILON * normA1 * Math.max(m, n) * normBInf;
  const maxIterations = options.maxIterations ?? 3 * n + 10;

  const x = new Float64Array(n);
  const passive = new Array<boolean>(n).fill(false);
  const skipped = new Array<boolean>(n).fill(false);
  const w = new Float64Array(n);
  let iterations = 0;

  for (;;) {
    gradient(a, b, x, w);
    // The column with the largest gradient among the active (zero) ones enters.
    let enter = -1;
    for (let j = 0; j < n; j++) {
      if (!passive[j] && !skipped[j] && w[j] > tol && (enter < 0 || w[j] > w[enter])) enter = j;
    }
    if (enter < 0) break;
    if (iterations >= maxIterations) {
      throw new Error(`nonnegativeLeastSquares: no convergence in ${maxIterations} iterations`);
    }
    iterations++;
    passive[enter] = true;
    let z = solvePassive(a, b, passive);
    if (z === undefined || z[enter] <= 0) {
      // Rounding or dependence: the entering coefficient would not be positive. Skip it for now.
      passive[enter] = false;
      skipped[enter] = true;
      continue;
    }
    // Inner loop: step back toward x until every passive coefficient is positive.
    for (;;) {
      let feasible = true;
      for (let j = 0; j < n; j++) if (passive[j] && z[j] <= 0) feasible = false;
      if (feasible) break;
      // Largest step from x toward z that keeps x >= 0; the coefficient that limits it leaves.
      let alpha = Infinity;
      let leave = -1;
      for (let j = 0; j < n; j++) {
        if (passive[j] && z[j] <= 0) {
          const step = x[j] / (x[j] - z[j]);
          if (step < alpha) {
            alpha = step;
            leave = j;
          }
        }
      }
      for (let j = 0; j < n; j++) {
        if (!passive[j]) continue;
        x[j] += alpha * (z[j] - x[j]);
        if (j === leave || x[j] <= 0) {
          x[j] = 0;
          passive[j] = false;
        }
      }
      const next = solvePassive(a, b, passive);
      if (next === undefined) throw new Error('nonnegativeLeastSquares: passive columns became dependent');
      z = next;
    }
    for (let j = 0; j < n; j++) x[j] = passive[j] ? z[j] : 0;
    skipped.fill(false);
  }

  let ss = 0;
  for (let i = 0; i < m; i++) {
    let r = -b[i];
    for (let j = 0; j < n; j++) r += a[i][j] * x[j];
    ss += r * r;
  }
  return { x: Array.from(x), residualNorm: Math.sqrt(ss), iterations };
}

/** w = A^T (b - A x). */
function gradient(
  a: readonly (readonly number[])[],
  b: readonly number[],
  x: Float64Array,
  w: Float64Array,
): void {
  w.fill(0);
  for (let i = 0; i < a.length; i++) {
    const row = a[i];
    let r = b[i];
    for (let j = 0; j < x.length; j++) r -= row[j] * x[j];
    for (let j = 0; j < x.length; j++) w[j] += row[j] * r;
  }
}

/**
 * Unconstrained least squares on the passive columns (others fixed at 0) by Householder QR.
 * @returns n coefficients (0 off the passive set), or undefined when the passive columns are
 *   numerically dependent
 */
function solvePassive(
  a: readonly (readonly number[])[],
  b: readonly number[],
  passive: readonly boolean[],
): Float64Array | undefined {
  const m = a.length;
  const n = passive.length;
  const cols: number[] = [];
  for (let j = 0; j < n; j++) if (passive[j]) cols.push(j);
  const p = cols.length;
  const z = new Float64Array(n);
  if (p === 0) return z;
  if (p > m) return undefined;
  // Column-major copy of A_P and of b.
  const q = cols.map((j) => Float64Array.from(a, (row) => row[j]));
  const y = Float64Array.from(b);
  let scale = 0;
  for (const col of q) for (const v of col) scale = Math.max(scale, Math.abs(v));
  const rankTol = scale * m * Number.EPSILON * 16;
  const diag = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    const col = q[k];
    let norm = 0;
    for (let i = k; i < m; i++) norm += col[i] * col[i];
    norm = Math.sqrt(norm);
    if (norm <= rankTol) return undefined;
    const alpha = col[k] > 0 ? -norm : norm;
    // Householder vector v = col[k..] - alpha e_k, stored in col[k..].
    col[k] -= alpha;
    const vv = norm * norm - 2 * alpha * (col[k] + alpha) + alpha * alpha;
    diag[k] = alpha;
    if (vv === 0) continue;
    const reflect = (target: Float64Array): void => {
      let dot = 0;
      for (let i = k; i < m; i++) dot += col[i] * target[i];
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) target[i] -= f * col[i];
    };
    for (let l = k + 1; l < p; l++) reflect(q[l]);
    reflect(y);
  }
  // Back substitution with R (diagonal in diag, above it in q[l][k] for l > k).
  const s = new Float64Array(p);
  for (let k = p - 1; k >= 0; k--) {
    let v = y[k];
    for (let l = k + 1; l < p; l++) v -= q[l][k] * s[l];
    s[k] = v / diag[k];
  }
  for (let k = 0; k < p; k++) z[cols[k]] = s[k];
  return z;
}
