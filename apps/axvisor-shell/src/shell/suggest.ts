// SPDX-License-Identifier: MIT
// "Did you mean" suggestions by edit distance.

/**
 * Levenshtein distance between two strings.
 * @param a - first string.
 * @param b - second string.
 * @returns the number of single-character insertions, deletions and substitutions.
 */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo
 * (distance at most a third of the longer length, and at most 3), or a unique prefix match.
 * @param word - what the user typed.
 * @param candidates - valid words.
 * @returns the suggestion, or undefined.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const prefixed: string[] = [];
  for (const c of candidates) {
    if (c.startsWith(word)) prefixed.push(c);
    const d = editDistance(word, c);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  if (
    best !== undefined &&
    bestDistance <= Math.min(3, Math.ceil(Math.max(word.length, best.length) / 3))
  )
    return best;
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
