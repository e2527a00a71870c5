// SPDX-License-Identifier: MIT
// Errors point into the source: code, line, column, span, and bpftrace's caret rendering.

import { describe, expect, it } from 'vitest';
import { VMM_EVENT_LIST } from '@axebpf/axvisor-vmm';
import { defineEvent } from '@axebpf/tracepoint';
import type { EventDefinition } from '@axebpf/tracepoint';
import { compile, ScriptError } from '../src/index.js';
import type { ScriptErrorCode } from '../src/index.js';

function failure(
  source: string,
  tracepoints: Iterable<EventDefinition> = VMM_EVENT_LIST,
): ScriptError {
  try {
    compile(source, { tracepoints });
  } catch (e) {
    if (ScriptError.isInstance(e)) return e;
    throw e;
  }
  throw new Error(`compiled: ${source}`);
}

const TP = 'tracepoint:vmm:vcpu_run_exit';

describe('ScriptError positions', () => {
  const cases: [string, ScriptErrorCode, number, number, string][] = [
    [`${TP} { @x = count( }`, 'UNEXPECTED_TOKEN', 1, 44, '}'],
    [`${TP} { @x = foo; }`, 'UNKNOWN_IDENTIFIER', 1, 37, 'foo'],
    [`${TP} { @x = args.nope; }`, 'UNKNOWN_FIELD', 1, 37, 'args.nope'],
    [`${TP}\n{\n  @x = $y + 1;\n}`, 'UNKNOWN_IDENTIFIER', 3, 8, '$y'],
    ['tracepoint:vmm:nothing { @ = count(); }', 'UNKNOWN_PROBE', 1, 1, 'tracepoint:vmm:nothing'],
    ['uprobe:/bin/sh:main { }', 'UNKNOWN_PROBE', 1, 1, 'uprobe'],
    [`${TP} { @x = "a" + 1; }`, 'TYPE_MISMATCH', 1, 37, '"a" + 1'],
    [`${TP} { @x = count(); @x = sum(1); }`, 'TYPE_MISMATCH', 1, 51, 'sum(1)'],
    [`${TP} { @x[1] = count(); @x[1, 2] = count(); }`, 'TYPE_MISMATCH', 1, 49, '@x[1, 2]'],
    [`${TP} { printf("%d %s\\n", 1, 2); }`, 'BAD_FORMAT', 1, 53, '2'],
    [`${TP} { printf("%d\\n"); }`, 'BAD_FORMAT', 1, 39, '"%d\\n"'],
    [`${TP} { @x = lhist(args.guest_ns, 10, 0, 1); }`, 'BAD_ARGUMENTS', 1, 37, 'lhist'],
    [`${TP} { @x = 0x1ffffffffffffffff; }`, 'BAD_NUMBER', 1, 37, '0x1ffffffffffffffff'],
    [`${TP} { printf("open); }`, 'UNTERMINATED_STRING', 1, 39, '"'],
    [`${TP} { @x = 1 # 2; }`, 'UNEXPECTED_CHAR', 1, 39, '#'],
    ['hprobe:handle_hvc { @ = args.x; }', 'UNKNOWN_IDENTIFIER', 1, 25, 'args.x'],
    [`${TP} { @ = retval; }`, 'UNKNOWN_IDENTIFIER', 1, 36, 'retval'],
    [`${TP} { $s = comm; $s = 1; }`, 'TYPE_MISMATCH', 1, 48, '1'],
  ];
  it.each(cases)('%s gives %s at %i:%i', (source, code, line, column, text) => {
    const e = failure(source);
    expect(e.code).toBe(code);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(
      source
        .split('\n')
        [line - 1]!.slice(column - 1)
        .startsWith(text),
    ).toBe(true);
  });

  it('renders the location, the line and a caret under the span as bpftrace', () => {
    const e = failure(`${TP} { @x = foo; }`);
    expect(e.format()).toBe(
      [
        'stdin:1:37-40: ERROR: unknown identifier `foo`',
        `${TP} { @x = foo; }`,
        `${' '.repeat(36)}^~~`,
      ].join('\n'),
    );
  });

  it('names the file and the line of a multi-line program', () => {
    let e: ScriptError | undefined;
    try {
      compile('BEGIN {\n  printf("%d\\n", "x");\n}', { file: 'vm.bt' });
    } catch (x) {
      e = x as ScriptError;
    }
    expect(e?.format().split('\n')[0]).toBe(
      'vm.bt:2:18-21: ERROR: `%d` needs an integer, argument 1 is a string',
    );
    expect(e?.format().split('\n')[2]).toBe(`${' '.repeat(17)}^~~`);
  });

  it('reports a program that needs more than 512 bytes of stack at the statement', () => {
    const e = failure(
      `${TP} { $a = comm; $b = comm; $c = comm; printf("%s %s %s %s %s %s %s\\n", comm, comm, comm, comm, comm, comm, comm); }`,
    );
    expect(e.code).toBe('STACK_LIMIT');
    expect(e.column).toBe(TP.length + 37); // the printf
  });

  it('explains a verifier rejection at the source expression that caused it', () => {
    // a format whose record is shorter than its field: the read of args.late is out of bounds
    const ev = defineEvent({
      system: 'test',
      name: 'short',
      fields: [
        ['a', 'u32'],
        ['late', 'u64'],
      ],
    });
    const broken = { ...ev, fullName: ev.fullName, fixedSize: 12 } as EventDefinition;
    const source = 'tracepoint:test:short { @x = args.a; @y = args.late; }';
    const e = failure(source, [broken]);
    expect(e.code).toBe('VERIFIER_REJECTED');
    expect(source.slice(e.offset, e.offset + e.length)).toBe('args.late');
    expect(['OUT_OF_BOUNDS', 'CONTEXT_ACCESS', 'INVALID_MEMORY_ACCESS']).toContain(
      (e.cause as { code?: string }).code,
    );
  });
});
