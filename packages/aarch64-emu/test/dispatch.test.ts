// The executor's switches use number literals as case labels (V8 compiles only such a switch
// to a jump table); this checks that every literal is the OP value its comment names.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OP } from '../src/ops.js';

const source = readFileSync(new URL('../src/cpu.ts', import.meta.url), 'utf8');

describe('executor dispatch', () => {
  it('labels every case with the OP value its comment names', () => {
    const labels = [...source.matchAll(/case (\d+) \/\* ([A-Z0-9_]+) \*\//g)];
    expect(labels.length).toBeGreaterThan(100);
    const wrong = labels
      .filter(([, n, name]) => (OP as Record<string, number>)[name!] !== Number(n))
      .map(([text]) => text);
    expect(wrong).toEqual([]);
  });

  it('has no case label that is a property read', () => {
    expect(source.match(/case OP\.\w+:/g) ?? []).toEqual([]);
  });
});
