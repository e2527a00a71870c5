// SPDX-License-Identifier: MIT
// Event definitions: typed fields, the Linux record layout (common header then fields with
// natural alignment), the `format` file text and the print format. The role of ktracepoint's
// `define_event_trace!` (Starry-OS/tracepoint src/basic_macro.rs), done with data instead of
// a macro; layout facts from Linux include/linux/trace_events.h and the tracefs format files.

import type { FilterField } from '@axebpf/tp-lexer';
import { TracepointError } from './errors.js';
import { parsePrintFormat } from './print-format.js';
import type { PrintFormat, PrintValue } from './print-format.js';

/** Integer and boolean field types. */
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'bool';

/**
 * Type of an event field: an integer, `bool`, a fixed `char[N]` array, or `string` (a dynamic
 * string stored after the fixed fields, Linux's `__data_loc char[]`).
 */
export type FieldType = ScalarType | `char[${number}]` | 'string';

/** A field declaration: `[name, type]`. */
export type FieldSpec = readonly [name: string, type: FieldType];

/** The JavaScript value an emit argument takes for a field type. */
export type FieldValue<T extends FieldType> = T extends 'u64' | 's64'
  ? number | bigint
  : T extends 'bool'
    ? boolean | number
    : T extends 'string' | `char[${number}]`
      ? string
      : number;

/** The emit arguments of an event with fields `F`, in order. */
export type EmitArgs<F extends readonly FieldSpec[]> = {
  -readonly [K in keyof F]: F[K] extends readonly [string, infer T extends FieldType]
    ? FieldValue<T>
    : never;
};

/** The print format of an event: a printf format and the fields its conversions print. */
export interface PrintSpec {
  /** printf-style format (`%u %d %llx %s ...`). */
  readonly fmt: string;
  /** Field names, one per conversion; defaults to every field in order. */
  readonly args?: readonly string[];
}

/**
 * What {@link defineEvent} takes.
 *
 * @example
 * ```ts
 * const exit = defineEvent({
 *   system: 'vmm',
 *   name: 'vcpu_run_exit',
 *   fields: [['vm_id', 'u32'], ['vcpu_id', 'u32'], ['exit_reason', 'u32'], ['pc', 'u64']],
 *   print: { fmt: 'vm=%u vcpu=%u reason=%u pc=%#llx' },
 * } as const);
 * ```
 */
export interface EventSpec<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  /** Subsystem (the `<sys>` of `events/<sys>/<name>`). */
  readonly system: string;
  /** Event name. */
  readonly name: string;
  /** Fields after the common header, in record order. */
  readonly fields: F;
  /** Print format; a plain string is the format with all fields as arguments. */
  readonly print?: PrintSpec | string;
  /** Fixed numeric id (`common_type`, 1..65535); otherwise the manager assigns one. */
  readonly id?: number;
  /** Room kept per dynamic string, including its NUL (default 256): longer strings are cut. */
  readonly maxStringBytes?: number;
}

/** Where one field sits in the record. */
export interface FieldLayout {
  /** Field name. */
  readonly name: string;
  /** Declared type. */
  readonly type: FieldType | 'common_u16' | 'common_u8' | 'common_s32';
  /** The C declaration used in the format file and the C header (`u32 vm_id`, `char comm[16]`). */
  readonly decl: string;
  /** Byte offset. */
  readonly offset: number;
  /** Byte size (4 for a dynamic string's data_loc word). */
  readonly size: number;
  /** Whether the value is signed (`char` is unsigned on arm64). */
  readonly signed: boolean;
  /** Filter/record kind. */
  readonly kind: 'integer' | 'char-array' | 'dynamic-string';
  /** True for `bool`. */
  readonly isBool: boolean;
}

/** Size of the common header: common_type u16, common_flags u8, common_preempt_count u8, common_pid s32. */
export const COMMON_HEADER_SIZE = 8;

/** The four common fields every record starts with (Linux `struct trace_entry`). */
export const COMMON_FIELDS: readonly FieldLayout[] = [
  {
    name: 'common_type',
    type: 'common_u16',
    decl: 'unsigned short common_type',
    offset: 0,
    size: 2,
    signed: false,
    kind: 'integer',
    isBool: false,
  },
  {
    name: 'common_flags',
    type: 'common_u8',
    decl: 'unsigned char common_flags',
    offset: 2,
    size: 1,
    signed: false,
    kind: 'integer',
    isBool: false,
  },
  {
    name: 'common_preempt_count',
    type: 'common_u8',
    decl: 'unsigned char common_preempt_count',
    offset: 3,
    size: 1,
    signed: false,
    kind: 'integer',
    isBool: false,
  },
  {
    name: 'common_pid',
    type: 'common_s32',
    decl: 'int common_pid',
    offset: 4,
    size: 4,
    signed: true,
    kind: 'integer',
    isBool: false,
  },
];

const SCALAR: Record<ScalarType, { size: number; signed: boolean }> = {
  u8: { size: 1, signed: false },
  u16: { size: 2, signed: false },
  u32: { size: 4, signed: false },
  u64: { size: 8, signed: false },
  s8: { size: 1, signed: true },
  s16: { size: 2, signed: true },
  s32: { size: 4, signed: true },
  s64: { size: 8, signed: true },
  bool: { size: 1, signed: false },
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An immutable event description: layout, format text and print format. Definitions hold no
 * state, so a catalog module can export them as constants; a {@link TracepointManager}
 * registers them and owns the live tracepoints.
 */
export interface EventDefinition<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  /** Subsystem. */
  readonly system: string;
  /** Event name. */
  readonly name: string;
  /** `system:name`. */
  readonly fullName: string;
  /** The declared fields. */
  readonly fieldSpecs: F;
  /** Layout of the event's own fields (after the common header). */
  readonly fields: readonly FieldLayout[];
  /** Common fields then the event's fields: what filters can name. */
  readonly allFields: readonly FieldLayout[];
  /** Size of the fixed part (header + fields, padded to the struct alignment); dynamic strings follow. */
  readonly fixedSize: number;
  /** Largest possible record (fixed part + room for each dynamic string). */
  readonly maxSize: number;
  /** Room per dynamic string, NUL included. */
  readonly maxStringBytes: number;
  /** Fixed id requested by the spec, if any. */
  readonly requestedId: number | undefined;
  /** The print format. */
  readonly print: PrintFormat;
  /** Field names the print format prints, in order. */
  readonly printArgs: readonly string[];
  /** The fields as the filter compiler sees them. */
  readonly filterFields: readonly FilterField[];
  /**
   * The Linux `format` file text for this event with the given id.
   * @param id - the event id (`common_type`).
   * @returns `name: …\nID: …\nformat:\n…print fmt: …\n`.
   */
  formatText(id: number): string;
  /**
   * Decodes a record's fields (not the header). 64-bit integers come back as bigint.
   * @param record - the record bytes.
   * @returns field name to value.
   */
  decode(record: Uint8Array): Record<string, PrintValue>;
  /**
   * Renders a record with the print format (the text after `<sys>:<name>: ` in the pipe).
   * @param record - the record bytes.
   * @returns the text.
   */
  render(record: Uint8Array): string;
}

function defaultFormat(fields: readonly FieldLayout[]): string {
  return fields
    .map((f) => {
      if (f.kind !== 'integer') return `${f.name}=%s`;
      const ll = f.size === 8 ? 'll' : '';
      return `${f.name}=%${ll}${f.signed ? 'd' : 'u'}`;
    })
    .join(' ');
}

/**
 * Defines an event: checks the spec, lays out its record and prepares its format text.
 *
 * @param spec - system, name, fields, print format and optional id.
 * @returns the definition.
 * @throws {TracepointError} `INVALID_DEFINITION` for bad names, types, duplicate fields, a
 *   print format whose conversions do not match its arguments, or an id outside 1..65535.
 * @example
 * ```ts
 * const hypercall = defineEvent({
 *   system: 'vmm', name: 'hypercall',
 *   fields: [['vm_id', 'u32'], ['nr', 'u64'], ['args0', 'u64']],
 * } as const);
 * ```
 */
export function defineEvent<const F extends readonly FieldSpec[]>(
  spec: EventSpec<F>,
): EventDefinition<F> {
  const full = `${spec.system}:${spec.name}`;
  const bad = (message: string): TracepointError =>
    new TracepointError({ code: 'INVALID_DEFINITION', message, event: full });
  if (!NAME.test(spec.system)) throw bad(`invalid subsystem name \`${spec.system}\``);
  if (!NAME.test(spec.name)) throw bad(`invalid event name \`${spec.name}\``);
  if (spec.id !== undefined && (!Number.isInteger(spec.id) || spec.id < 1 || spec.id > 0xffff)) {
    throw bad(`event id \`${spec.id}\` is outside 1..65535 (common_type is a u16)`);
  }
  const maxStringBytes = spec.maxStringBytes ?? 256;
  if (!Number.isInteger(maxStringBytes) || maxStringBytes < 1 || maxStringBytes > 0xffff) {
    throw bad(`maxStringBytes \`${maxStringBytes}\` is outside 1..65535`);
  }
  const seen = new Set(COMMON_FIELDS.map((f) => f.name));
  const fields: FieldLayout[] = [];
  let offset = COMMON_HEADER_SIZE;
  let align = 4;
  for (const [name, type] of spec.fields) {
    if (!NAME.test(name)) throw bad(`invalid field name \`${name}\``);
    if (seen.has(name)) throw bad(`duplicate field \`${name}\``);
    seen.add(name);
    let size: number;
    let fieldAlign: number;
    let layout: Omit<FieldLayout, 'offset'>;
    if (type === 'string') {
      size = 4;
      fieldAlign = 4;
      layout = {
        name,
        type,
        decl: `__data_loc char[] ${name}`,
        size,
        signed: false,
        kind: 'dynamic-string',
        isBool: false,
      };
    } else if (type in SCALAR) {
      const s = SCALAR[type as ScalarType];
      size = s.size;
      fieldAlign = s.size;
      layout = {
        name,
        type,
        decl: `${type} ${name}`,
        size,
        signed: s.signed,
        kind: 'integer',
        isBool: type === 'bool',
      };
    } else {
      const m = /^char\[(\d+)\]$/.exec(type);
      const n = m === null ? NaN : Number(m[1]);
      if (!(n >= 1 && n <= 4096)) throw bad(`unknown field type \`${type}\` for \`${name}\``);
      size = n;
      fieldAlign = 1;
      layout = {
        name,
        type,
        decl: `char ${name}[${n}]`,
        size,
        signed: false,
        kind: 'char-array',
        isBool: false,
      };
    }
    offset = (offset + fieldAlign - 1) & ~(fieldAlign - 1);
    fields.push({ ...layout, offset });
    offset += size;
    align = Math.max(align, fieldAlign);
  }
  const fixedSize = (offset + align - 1) & ~(align - 1);
  const dynCount = fields.filter((f) => f.kind === 'dynamic-string').length;
  const maxSize = fixedSize + dynCount * maxStringBytes;
  if (maxSize > 0xffff) throw bad(`record of up to ${maxSize} bytes is larger than 65535`);

  const printSpec: PrintSpec =
    typeof spec.print === 'string'
      ? { fmt: spec.print }
      : (spec.print ?? { fmt: defaultFormat(fields) });
  const printArgs = printSpec.args ?? fields.map((f) => f.name);
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const a of printArgs)
    if (!byName.has(a)) throw bad(`print format argument \`${a}\` is not a field`);
  const print = parsePrintFormat(printSpec.fmt);
  if (print.argCount !== printArgs.length) {
    throw bad(
      `print format \`${printSpec.fmt}\` has ${print.argCount} conversions for ${printArgs.length} arguments`,
    );
  }
  const allFields = [...COMMON_FIELDS, ...fields];
  const filterFields: FilterField[] = allFields.map((f) => ({
    name: f.name,
    kind: f.kind,
    offset: f.offset,
    size: f.size,
    signed: f.signed,
    isBool: f.isBool,
  }));
  const printRef = printArgs.map((a) =>
    byName.get(a)!.kind === 'dynamic-string' ? `__get_str(${a})` : `REC->${a}`,
  );
  const printLine = `print fmt: "${printSpec.fmt.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"${printRef.map((r) => `, ${r}`).join('')}`;
  const line = (f: FieldLayout): string =>
    `\tfield:${f.decl};\toffset:${f.offset};\tsize:${f.size};\tsigned:${f.signed ? 1 : 0};\n`;
  const body = `format:\n${COMMON_FIELDS.map(line).join('')}\n${fields.map(line).join('')}\n${printLine}\n`;
  const decoder = new TextDecoder();

  const decode = (record: Uint8Array): Record<string, PrintValue> => {
    if (record.length < fixedSize) {
      throw new TracepointError({
        code: 'INVALID_ARGUMENT',
        message: `record of ${record.length} bytes is shorter than ${fixedSize}`,
        event: full,
      });
    }
    const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const out: Record<string, PrintValue> = {};
    for (const f of fields) out[f.name] = readField(f, record, v, decoder);
    return out;
  };
  return {
    system: spec.system,
    name: spec.name,
    fullName: full,
    fieldSpecs: spec.fields,
    fields,
    allFields,
    fixedSize,
    maxSize,
    maxStringBytes,
    requestedId: spec.id,
    print,
    printArgs,
    filterFields,
    formatText: (id) => `name: ${spec.name}\nID: ${id}\n${body}`,
    decode,
    render: (record) => {
      const values = decode(record);
      return print.render(printArgs.map((a) => values[a]!));
    },
  };
}

/**
 * Reads one field of a record.
 *
 * @param f - the field's layout.
 * @param bytes - the record.
 * @param v - a DataView over the record.
 * @param decoder - UTF-8 decoder for strings.
 * @returns the value: number, bigint for 64-bit fields, boolean for `bool`, string for strings.
 * @internal
 */
export function readField(
  f: FieldLayout,
  bytes: Uint8Array,
  v: DataView,
  decoder: { decode(bytes: Uint8Array): string },
): PrintValue {
  const o = f.offset;
  if (f.kind === 'integer') {
    if (f.isBool) return v.getUint8(o) !== 0;
    switch (f.size) {
      case 1:
        return f.signed ? v.getInt8(o) : v.getUint8(o);
      case 2:
        return f.signed ? v.getInt16(o, true) : v.getUint16(o, true);
      case 4:
        return f.signed ? v.getInt32(o, true) : v.getUint32(o, true);
      default:
        return f.signed ? v.getBigInt64(o, true) : v.getBigUint64(o, true);
    }
  }
  let start = o;
  let max = f.size;
  if (f.kind === 'dynamic-string') {
    const loc = v.getUint32(o, true);
    start = loc & 0xffff;
    max = Math.min(loc >>> 16, Math.max(0, bytes.length - start));
  }
  let n = 0;
  while (n < max && bytes[start + n] !== 0) n++;
  return decoder.decode(bytes.subarray(start, start + n));
}
