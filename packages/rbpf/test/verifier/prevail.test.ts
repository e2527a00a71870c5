import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { encodeInsns, Program } from '../../src/program.js';
import { verify } from '../../src/verifier/index.js';
import { prevailRejects, translate } from './prevail-translate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, '../conformance/prevail');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.yaml') && f !== 'test-schema.yaml')
  .sort();

interface Outcome {
  file: string;
  name: string;
  expectReject: boolean;
  verdict: 'accept' | 'reject' | 'skip';
  detail: string;
}

function runAll(): Outcome[] {
  const out: Outcome[] = [];
  for (const file of files) {
    for (const d of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      const doc = d.toJS() as Record<string, unknown> | null;
      if (doc === null || typeof doc !== 'object' || !('test-case' in doc)) continue;
      const name = String(doc['test-case']);
      const expectReject = prevailRejects(doc);
      const t = translate(doc);
      if (t.kind === 'skip') {
        out.push({ file, name, expectReject, verdict: 'skip', detail: t.reason });
        continue;
      }
      try {
        const program = Program.fromBytes(encodeInsns(t.insns));
        verify(program, t.options);
        out.push({ file, name, expectReject, verdict: 'accept', detail: '' });
      } catch (e) {
        out.push({ file, name, expectReject, verdict: 'reject', detail: (e as Error).message });
      }
    }
  }
  return out;
}

describe('PREVAIL test cases', () => {
  const outcomes = runAll();
  const rejectCases = outcomes.filter((o) => o.expectReject && o.verdict !== 'skip');
  const acceptCases = outcomes.filter((o) => !o.expectReject && o.verdict !== 'skip');
  const rejectAgree = rejectCases.filter((o) => o.verdict === 'reject').length;
  const acceptAgree = acceptCases.filter((o) => o.verdict === 'accept').length;
  const skipped = outcomes.filter((o) => o.verdict === 'skip');

  it('reports its agreement figures', () => {
    const reasons = new Map<string, number>();
    for (const s of skipped) {
      const key = s.detail.replace(/\d+/g, 'N');
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    console.log(
      `PREVAIL: ${outcomes.length} cases, ${skipped.length} skipped; reject cases agree ${rejectAgree}/${rejectCases.length}; accept cases agree ${acceptAgree}/${acceptCases.length}`,
    );
    console.log(
      `skip reasons: ${[...reasons]
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${n}× ${r}`)
        .join('; ')}`,
    );
    if (process.env['PREVAIL_DETAILS']) {
      for (const o of outcomes)
        if (o.verdict !== 'skip' && (o.verdict === 'reject') !== o.expectReject)
          console.log(
            `DISAGREE ${o.file} | ${o.name} | expected ${o.expectReject ? 'reject' : 'accept'} | ${o.detail}`,
          );
    }
    expect(outcomes.length).toBeGreaterThan(600);
  });

  it('agrees with at least 90% of the reject cases it can express', () => {
    expect(rejectAgree / rejectCases.length).toBeGreaterThanOrEqual(0.9);
  });

  it('agrees with most accept cases it can express', () => {
    expect(acceptAgree / acceptCases.length).toBeGreaterThanOrEqual(ACCEPT_FLOOR);
  });
});

/** Regression floor for accept agreement (measured value rounded down; see the README, section Verifier). */
const ACCEPT_FLOOR = 0.9;
