import { describe, expect, it } from 'vitest';
import { TracepointError, defineEvent, parsePrintFormat } from '../src/index.js';

function defError(fn: () => unknown): TracepointError {
  try {
    fn();
  } catch (e) {
    if (TracepointError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a TracepointError');
}

describe('defineEvent layout', () => {
  it('places fields after the 8-byte header with natural alignment', () => {
    const e = defineEvent({
      system: 'test',
      name: 'mix',
      fields: [
        ['a', 'u8'],
        ['b', 'u64'],
        ['c', 's16'],
        ['d', 'char[3]'],
        ['e', 'u32'],
        ['s', 'string'],
        ['f', 'bool'],
      ],
    } as const);
    expect(e.fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ['a', 8, 1],
      ['b', 16, 8],
      ['c', 24, 2],
      ['d', 26, 3],
      ['e', 32, 4],
      ['s', 36, 4],
      ['f', 40, 1],
    ]);
    // Padded to the struct's 8-byte alignment; dynamic strings start after it.
    expect(e.fixedSize).toBe(48);
    expect(e.maxSize).toBe(48 + 256);
  });

  it('keeps a 4-byte alignment for events without 64-bit fields', () => {
    const e = defineEvent({ system: 'test', name: 'small', fields: [['a', 'u8']] } as const);
    expect(e.fixedSize).toBe(12);
    const empty = defineEvent({ system: 'test', name: 'empty', fields: [] } as const);
    expect(empty.fixedSize).toBe(8);
  });

  it('writes the format file in the Linux shape', () => {
    const e = defineEvent({
      system: 'vmm',
      name: 'hypercall',
      fields: [
        ['vm_id', 'u32'],
        ['nr', 'u64'],
        ['ret', 's64'],
        ['name', 'string'],
      ],
      print: { fmt: 'vm=%u nr=%llu ret=%lld name=%s' },
    } as const);
    expect(e.formatText(42)).toBe(
      'name: hypercall\nID: 42\nformat:\n' +
        '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n' +
        '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n' +
        '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n' +
        '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n' +
        '\n' +
        '\tfield:u32 vm_id;\toffset:8;\tsize:4;\tsigned:0;\n' +
        '\tfield:u64 nr;\toffset:16;\tsize:8;\tsigned:0;\n' +
        '\tfield:s64 ret;\toffset:24;\tsize:8;\tsigned:1;\n' +
        '\tfield:__data_loc char[] name;\toffset:32;\tsize:4;\tsigned:0;\n' +
        '\n' +
        'print fmt: "vm=%u nr=%llu ret=%lld name=%s", REC->vm_id, REC->nr, REC->ret, __get_str(name)\n',
    );
  });

  it('builds a default name=value print format', () => {
    const e = defineEvent({
      system: 's',
      name: 'e',
      fields: [
        ['a', 'u32'],
        ['b', 's64'],
        ['c', 'char[4]'],
      ],
    } as const);
    expect(e.print.fmt).toBe('a=%u b=%lld c=%s');
  });

  it('exposes common and event fields to the filter compiler', () => {
    const e = defineEvent({ system: 's', name: 'e', fields: [['x', 's16']] } as const);
    expect(e.filterFields.map((f) => f.name)).toEqual([
      'common_type',
      'common_flags',
      'common_preempt_count',
      'common_pid',
      'x',
    ]);
    expect(e.filterFields[4]).toMatchObject({ kind: 'integer', offset: 8, size: 2, signed: true });
  });

  it('rejects bad definitions', () => {
    expect(defError(() => defineEvent({ system: 'bad sys', name: 'e', fields: [] })).code).toBe(
      'INVALID_DEFINITION',
    );
    expect(
      defError(() =>
        defineEvent({
          system: 's',
          name: 'e',
          fields: [
            ['a', 'u32'],
            ['a', 'u8'],
          ],
        }),
      ).code,
    ).toBe('INVALID_DEFINITION');
    expect(
      defError(() => defineEvent({ system: 's', name: 'e', fields: [['common_pid', 'u32']] })).code,
    ).toBe('INVALID_DEFINITION');
    expect(
      defError(() => defineEvent({ system: 's', name: 'e', fields: [['a', 'u128' as 'u64']] }))
        .code,
    ).toBe('INVALID_DEFINITION');
    expect(
      defError(() => defineEvent({ system: 's', name: 'e', fields: [['a', 'char[0]']] })).code,
    ).toBe('INVALID_DEFINITION');
    expect(
      defError(() =>
        defineEvent({ system: 's', name: 'e', fields: [['a', 'u32']], print: 'a=%u b=%u' }),
      ).code,
    ).toBe('INVALID_DEFINITION');
    expect(
      defError(() =>
        defineEvent({
          system: 's',
          name: 'e',
          fields: [['a', 'u32']],
          print: { fmt: '%u', args: ['b'] },
        }),
      ).code,
    ).toBe('INVALID_DEFINITION');
    expect(
      defError(() => defineEvent({ system: 's', name: 'e', fields: [], id: 70000 })).code,
    ).toBe('INVALID_DEFINITION');
    expect(
      defError(() => defineEvent({ system: 's', name: 'e', fields: [], print: '%q' })).code,
    ).toBe('INVALID_DEFINITION');
  });
});

describe('parsePrintFormat', () => {
  const r = (fmt: string, ...args: (number | bigint | string)[]): string =>
    parsePrintFormat(fmt).render(args);

  it('formats integers with widths, flags and length modifiers', () => {
    expect(r('%d %u %x %X %o', -5, 7, 255, 255, 8)).toBe('-5 7 ff FF 10');
    expect(r('%u', -1)).toBe('4294967295');
    expect(r('%llu', -1n)).toBe('18446744073709551615');
    expect(r('%lld', 0xffffffffffffffffn)).toBe('-1');
    expect(r('%hhu %hd', 257, 65535)).toBe('1 -1');
    expect(r('[%5d|%-5d|%05d|%+d]', 42, 42, -42, 42)).toBe('[   42|42   |-0042|+42]');
    expect(r('%#x %#llx %08x %#010x', 255, 0x40001000n, 0xbeef, 0xbeef)).toBe(
      '0xff 0x40001000 0000beef 0x0000beef',
    );
    expect(r('%p', 0x1000)).toBe('0x1000');
  });

  it('formats strings, chars and percent signs', () => {
    expect(r('%s|%8s|%-4s|%.2s', 'ab', 'ab', 'ab', 'abcdef')).toBe('ab|      ab|ab  |ab');
    expect(r('%c%c', 65, 'bc')).toBe('Ab');
    expect(r('100%% %s', 'done')).toBe('100% done');
    expect(parsePrintFormat('%%d').argCount).toBe(0);
  });
});
