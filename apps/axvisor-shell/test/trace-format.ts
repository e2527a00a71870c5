// The rules of the JSON Trace Event Format a Chrome/Perfetto trace is checked against (Perfetto's
// trace processor is not published on npm, so it cannot load the trace in a test).
import type { TraceEventJson } from '../src/chrome-trace.js';

/**
 * The format's rules (Trace Event Format, the JSON object form): each event has a name, a `ph`
 * this trace uses, integer pid and tid, `ts` in microseconds (finite, not negative) except for
 * metadata; X has a `dur` >= 0; i has a scope; C has numeric args; M is a process/thread name or
 * sort index with its arg. Slices (X) on one thread nest: none starts inside another and ends
 * after it. Every pid and (pid, tid) with events is named.
 * @returns the problems found (empty when the trace follows the rules).
 */
export function formatProblems(trace: {
  traceEvents: TraceEventJson[];
  displayTimeUnit?: string;
}): string[] {
  const problems: string[] = [];
  const processNames = new Set<number>();
  const threadNames = new Set<string>();
  const slices = new Map<string, { ts: number; end: number; name: string }[]>();
  if (!Array.isArray(trace.traceEvents)) return ['traceEvents is not an array'];
  if (trace.displayTimeUnit !== undefined && !['ms', 'ns'].includes(trace.displayTimeUnit))
    problems.push(`displayTimeUnit ${trace.displayTimeUnit}`);
  for (const [i, e] of trace.traceEvents.entries()) {
    const where = `event ${i} (${e.ph} ${e.name})`;
    if (typeof e.name !== 'string' || e.name === '') problems.push(`${where}: no name`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid))
      problems.push(`${where}: pid/tid not integers`);
    if (!['X', 'i', 'C', 'M'].includes(e.ph)) problems.push(`${where}: unexpected ph`);
    if (e.ph === 'M') {
      const key = e.name === 'process_name' || e.name === 'thread_name' ? 'name' : 'sort_index';
      if (
        !['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index'].includes(e.name)
      )
        problems.push(`${where}: unknown metadata`);
      if (e.args?.[key] === undefined) problems.push(`${where}: metadata without args.${key}`);
      if (e.name === 'process_name') processNames.add(e.pid);
      if (e.name === 'thread_name') threadNames.add(`${e.pid}/${e.tid}`);
      continue;
    }
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0)
      problems.push(`${where}: ts ${e.ts}`);
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || !Number.isFinite(e.dur) || e.dur < 0)
        problems.push(`${where}: dur ${e.dur}`);
      const list = slices.get(`${e.pid}/${e.tid}`) ?? [];
      list.push({ ts: e.ts!, end: e.ts! + e.dur!, name: e.name });
      slices.set(`${e.pid}/${e.tid}`, list);
    }
    if (e.ph === 'i' && !['t', 'p', 'g'].includes(e.s ?? ''))
      problems.push(`${where}: instant without scope`);
    if (
      e.ph === 'C' &&
      (e.args === undefined || Object.values(e.args).some((v) => typeof v !== 'number'))
    )
      problems.push(`${where}: counter args not numeric`);
  }
  for (const e of trace.traceEvents) {
    if (e.ph === 'M') continue;
    if (!processNames.has(e.pid)) problems.push(`pid ${e.pid} has no process_name`);
    if (e.ph !== 'C' && !threadNames.has(`${e.pid}/${e.tid}`))
      problems.push(`thread ${e.pid}/${e.tid} has no thread_name`);
  }
  const eps = 1e-6; // µs, for float rounding of ns / 1000
  for (const [thread, list] of slices) {
    list.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: { end: number; name: string }[] = [];
    for (const s of list) {
      while (stack.length > 0 && stack.at(-1)!.end <= s.ts + eps) stack.pop();
      const parent = stack.at(-1);
      if (parent !== undefined && s.end > parent.end + eps)
        problems.push(
          `thread ${thread}: ${s.name} at ${s.ts} overlaps ${parent.name} ending ${parent.end}`,
        );
      stack.push(s);
    }
  }
  return [...new Set(problems)];
}
