// SPDX-License-Identifier: MIT
// Glob matching for the `~` operator, with the semantics of Linux lib/glob.c as used by
// trace event filters: `*` any run (possibly empty), `?` one byte, `[...]` a class with
// ranges and `!` (or `^`) negation, everything else literal. Written here, not ported.

/** A compiled glob: tells whether `bytes[start, start + length)` matches. */
export type GlobMatcher = (bytes: Uint8Array, start: number, length: number) => boolean;

const STAR = -1;
const ANY = -2;

/**
 * Compiles a glob pattern into a matcher over bytes.
 *
 * Patterns of the forms Linux special-cases (`abc`, `abc*`, `*abc`, `*abc*`) become a plain
 * compare, prefix, suffix or substring search; any other pattern runs a linear-space matcher
 * that backtracks only to the last `*` (no exponential blow-up).
 *
 * @param pattern - the pattern as UTF-8 bytes.
 * @returns the matcher.
 * @remarks An unclosed `[` is a literal `[` (as fnmatch treats it); the Rust tp-lexer
 *   failed the whole match instead. There is no backslash escape, as in Linux.
 */
export function compileGlob(pattern: Uint8Array): GlobMatcher {
  // Elements: byte values >= 0 are literals, STAR, ANY, or an index (<= -3) into classes.
  const elems: number[] = [];
  const classes: Uint8Array[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === 0x2a /* * */) {
      if (elems[elems.length - 1] !== STAR) elems.push(STAR);
    } else if (c === 0x3f /* ? */) {
      elems.push(ANY);
    } else if (c === 0x5b /* [ */) {
      const parsed = parseClass(pattern, i);
      if (parsed === undefined) {
        elems.push(c);
      } else {
        classes.push(parsed.set);
        elems.push(-3 - (classes.length - 1));
        i = parsed.end;
      }
    } else {
      elems.push(c);
    }
  }
  const literalRun = (from: number, to: number): Uint8Array | undefined => {
    const out = new Uint8Array(to - from);
    for (let i = from; i < to; i++) {
      const e = elems[i]!;
      if (e < 0) return undefined;
      out[i - from] = e;
    }
    return out;
  };
  const n = elems.length;
  const starCount = elems.filter((e) => e === STAR).length;
  if (starCount === 0) {
    const lit = literalRun(0, n);
    if (lit !== undefined) return (b, s, len) => len === lit.length && bytesAt(b, s, lit);
  } else if (starCount === 1 && elems[n - 1] === STAR) {
    const lit = literalRun(0, n - 1);
    if (lit !== undefined) return (b, s, len) => len >= lit.length && bytesAt(b, s, lit);
  } else if (starCount === 1 && elems[0] === STAR) {
    const lit = literalRun(1, n);
    if (lit !== undefined)
      return (b, s, len) => len >= lit.length && bytesAt(b, s + len - lit.length, lit);
  } else if (starCount === 2 && elems[0] === STAR && elems[n - 1] === STAR && n >= 2) {
    const lit = literalRun(1, n - 1);
    if (lit !== undefined) return (b, s, len) => contains(b, s, len, lit);
  }
  const pat = Int32Array.from(elems);
  return (b, s, len) => matchGeneral(pat, classes, b, s, len);
}

function bytesAt(b: Uint8Array, s: number, lit: Uint8Array): boolean {
  for (let i = 0; i < lit.length; i++) if (b[s + i] !== lit[i]) return false;
  return true;
}

function contains(b: Uint8Array, s: number, len: number, lit: Uint8Array): boolean {
  const last = len - lit.length;
  for (let i = 0; i <= last; i++) if (bytesAt(b, s + i, lit)) return true;
  return false;
}

function parseClass(p: Uint8Array, open: number): { set: Uint8Array; end: number } | undefined {
  let i = open + 1;
  let negate = false;
  if (p[i] === 0x21 /* ! */ || p[i] === 0x5e /* ^ */) {
    negate = true;
    i++;
  }
  const set = new Uint8Array(256);
  let first = true;
  while (i < p.length) {
    const c = p[i]!;
    if (c === 0x5d /* ] */ && !first) {
      if (negate) for (let k = 0; k < 256; k++) set[k] = set[k]! ^ 1;
      return { set, end: i };
    }
    first = false;
    if (p[i + 1] === 0x2d /* - */ && i + 2 < p.length && p[i + 2] !== 0x5d) {
      const hi = p[i + 2]!;
      const lo = Math.min(c, hi);
      const top = Math.max(c, hi);
      for (let k = lo; k <= top; k++) set[k] = 1;
      i += 3;
    } else {
      set[c] = 1;
      i++;
    }
  }
  return undefined;
}

function matchGeneral(
  pat: Int32Array,
  classes: Uint8Array[],
  b: Uint8Array,
  s: number,
  len: number,
): boolean {
  let pi = 0;
  let si = 0;
  let starPi = -1;
  let starSi = 0;
  while (si < len) {
    if (pi < pat.length) {
      const e = pat[pi]!;
      if (e === STAR) {
        starPi = pi++;
        starSi = si;
        continue;
      }
      const c = b[s + si]!;
      if (e === ANY || e === c || (e <= -3 && classes[-3 - e]![c] === 1)) {
        pi++;
        si++;
        continue;
      }
    }
    if (starPi < 0) return false;
    pi = starPi + 1;
    si = ++starSi;
  }
  while (pi < pat.length && pat[pi] === STAR) pi++;
  return pi === pat.length;
}
