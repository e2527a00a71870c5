// SPDX-License-Identifier: MIT
// The compiler: type-checks a parsed program against the tracepoint formats and probe contexts,
// then generates eBPF with @axebpf/rbpf's ProgramBuilder, one program per resolved probe, and
// verifies each with rbpf's verifier (map references are placeholders the host relocates).
//
// Code shape: expressions evaluate into r0 (an accumulator); the left operand of a binary
// operator waits in a stack slot; r6 keeps the context pointer across helper calls. Maps use
// lookup / insert-zero-then-lookup / update-in-place, like bpftrace's generated code.

import {
  encodeInsns,
  LINUX_TRACING_HELPERS,
  Program,
  ProgramBuilder,
  reg,
  verify,
  VerifierError,
} from '@axebpf/rbpf';
import type { HelperSignature, JumpOp, AluOp, MapInfo, Width } from '@axebpf/rbpf';
import type { EventDefinition } from '@axebpf/tracepoint';
import type { BinaryOp, Expr, Located, ProbeBlock, ProgramAst, Stmt } from './ast.js';
import { ScriptError, spanAt } from './errors.js';
import type { ScriptErrorCode } from './errors.js';
import { parse } from './parser.js';
import { checkFormat } from './printf.js';
import { fieldOf, GUEST_CTX, HPROBE_CTX, parseProbe, resolveProbe } from './probes.js';
import type { ResolvedProbe } from './probes.js';
import { EVENT_KIND, STRING_SIZE } from './types.js';
import type {
  CompiledProbe,
  CompiledScript,
  MapSpec,
  MapValueKind,
  PrintfSpec,
  ValueType,
} from './types.js';

/** Options of {@link compile}. */
export interface CompileOptions {
  /** Tracepoint definitions the program may name (a catalog such as `VMM_EVENTS`, or a manager's). */
  tracepoints?: Iterable<EventDefinition>;
  /** Source name for error locations. Default `stdin`. */
  file?: string;
  /** Entries of each map. Default 4096. */
  maxEntries?: number;
  /** Bytes of the event ring (power of two, at least 4096). Default 256 KiB. */
  ringBytes?: number;
  /** Run the verifier on each program (default true). */
  verify?: boolean;
}

/** Helper ids the generated code calls. */
const H = {
  lookup: 1,
  update: 2,
  delete: 3,
  ktime: 5,
  cpu: 8,
  comm: 16,
  vm: 100,
  vcpu: 101,
  ringbufOutput: 130,
} as const;

/** Helpers the verifier allows: Linux's tracing set plus the facade's hypervisor helpers and ringbuf_output. */
export const SCRIPT_HELPERS: ReadonlyMap<number, HelperSignature> = new Map([
  ...LINUX_TRACING_HELPERS,
  [H.vm, { name: 'get_current_vm_id', args: [], ret: 'scalar' }],
  [H.vcpu, { name: 'get_current_vcpu_id', args: [], ret: 'scalar' }],
  [102, { name: 'get_exit_reason', args: [], ret: 'scalar' }],
  [
    H.ringbufOutput,
    { name: 'ringbuf_output', args: ['map', 'mem', 'size', 'scalar'], ret: 'scalar' },
  ],
]);

const AGGREGATIONS = new Set(['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist']);
const INT: ValueType = { t: 'int', signed: true };
const UINT: ValueType = { t: 'int', signed: false };
const STR: ValueType = { t: 'str' };
const STACK = 512;
/** Placeholder fds: map index + FD_BASE (the verifier needs distinct fds). */
const FD_BASE = 1;
const BPF_NOEXIST = 1;

const typeName = (t: ValueType): string =>
  t.t === 'str' ? 'string' : t.signed ? 'int64' : 'uint64';
const round8 = (n: number): number => (n + 7) & ~7;

interface MapDecl {
  name: string;
  kind: MapValueKind;
  keys: ValueType[] | undefined;
  signed: boolean | undefined;
  lhist?: { min: bigint; max: bigint; step: bigint };
  index: number;
  at: number;
  len: number;
}

interface Var {
  type: ValueType;
  off: number;
  size: number;
}

class Shared {
  readonly maps: MapDecl[] = [];
  readonly byName = new Map<string, MapDecl>();
  readonly printfs: PrintfSpec[] = [];
  ring: number | undefined;
  exits = false;
  constructor(
    readonly source: string,
    readonly file: string,
  ) {}

  fail(code: ScriptErrorCode, message: string, node: Located, cause?: unknown): never {
    throw new ScriptError({
      code,
      message,
      span: spanAt(this.source, node.at, node.len),
      source: this.source,
      file: this.file,
      cause,
    });
  }

  ringIndex(): number {
    if (this.ring === undefined) {
      this.ring = this.maps.length;
      this.maps.push({
        name: '@@events',
        kind: 'int',
        keys: [],
        signed: false,
        index: this.ring,
        at: 0,
        len: 0,
      });
    }
    return this.ring;
  }
}

/** First pass: the value kind of every map, from its assignments. */
function collectMaps(ast: ProgramAst, shared: Shared): void {
  const visit = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      if (s.kind === 'if') {
        visit(s.then);
        if (s.else) visit(s.else);
        continue;
      }
      if (s.kind !== 'assign-map') continue;
      const v = s.value;
      const kind: MapValueKind =
        s.op === '=' && v.kind === 'call' && AGGREGATIONS.has(v.name)
          ? (v.name as MapValueKind)
          : 'int';
      const known = shared.byName.get(s.target.name);
      if (known === undefined) {
        const decl: MapDecl = {
          name: s.target.name,
          kind,
          keys: undefined,
          signed: undefined,
          index: shared.maps.length,
          at: s.target.at,
          len: s.target.len,
        };
        shared.maps.push(decl);
        shared.byName.set(decl.name, decl);
      } else if (known.kind !== kind) {
        shared.fail(
          'TYPE_MISMATCH',
          `map \`${s.target.name}\` is used as \`${kind}\` here but as \`${known.kind}\` before`,
          s.value,
        );
      }
    }
  };
  for (const b of ast.blocks) visit(b.body);
}

function keySizeOf(decl: MapDecl): number {
  const keys = decl.keys ?? [];
  const user =
    keys.length === 0 ? 8 : keys.reduce((n, k) => n + (k.t === 'str' ? STRING_SIZE : 8), 0);
  return user + (decl.kind === 'hist' || decl.kind === 'lhist' ? 8 : 0);
}

function valueSizeOf(kind: MapValueKind): number {
  return kind === 'min' || kind === 'max' || kind === 'avg' || kind === 'stats' ? 16 : 8;
}

/** Code generation for one resolved probe. */
class Gen {
  readonly b = new ProgramBuilder();
  /** Source node of each instruction slot (for verifier messages). */
  readonly slotNodes: Located[] = [];
  readonly relocs: { slot: number; map: number }[] = [];
  readonly vars = new Map<string, Var>();
  readonly #zeroSlots: { off: number; size: number }[] = [];
  #slot = 0;
  #sp = 0;
  /** Stack bytes held by variables: temporaries are released down to here, never below. */
  #floor = 0;
  #label = 0;
  #node: Located;

  constructor(
    readonly s: Shared,
    readonly probe: ResolvedProbe,
    block: ProbeBlock,
  ) {
    this.#node = block;
  }

  // ---------------------------------------------------------------- emission helpers

  #count(n = 1): void {
    for (let i = 0; i < n; i++) this.slotNodes[this.#slot + i] = this.#node;
    this.#slot += n;
  }
  label(): string {
    return `L${this.#label++}`;
  }
  place(name: string): void {
    this.b.label(name);
  }
  alu(op: AluOp, dst: number, src: number | { reg: number }): void {
    this.b.alu64(op, dst, src);
    this.#count();
  }
  mov(dst: number, src: number | { reg: number }): void {
    this.alu('mov', dst, src);
  }
  /** Loads any 64-bit constant into a register. */
  konst(dst: number, v: bigint): void {
    const s = BigInt.asIntN(64, v);
    if (s >= -2147483648n && s <= 2147483647n) this.mov(dst, Number(s));
    else {
      this.b.lddw(dst, BigInt.asUintN(64, s));
      this.#count(2);
    }
  }
  ld(w: Width, dst: number, src: number, off: number): void {
    this.b.load(w, dst, src, off);
    this.#count();
  }
  st(w: Width, dst: number, off: number, src: number | { reg: number }): void {
    this.b.store(w, dst, off, src);
    this.#count();
  }
  jmp(op: JumpOp, dst: number, src: number | { reg: number }, target: string): void {
    this.b.jump(op, dst, src, target);
    this.#count();
  }
  ja(target: string): void {
    this.b.ja(target);
    this.#count();
  }
  call(id: number): void {
    this.b.call(id);
    this.#count();
  }
  mapRef(dst: number, map: number): void {
    this.relocs.push({ slot: this.#slot, map });
    this.b.lddw(dst, FD_BASE + map, 1);
    this.#count(2);
  }
  /** r<dst> = r10 + off. */
  stackPtr(dst: number, off: number): void {
    this.mov(dst, reg(10));
    this.alu('add', dst, off);
  }
  zero(off: number, size: number): void {
    for (let i = 0; i < size; i += 8) this.st('dw', 10, off + i, 0);
  }

  alloc(size: number, node: Located): number {
    this.#sp += round8(size);
    if (this.#sp > STACK)
      this.s.fail(
        'STACK_LIMIT',
        `the program needs more than ${STACK} bytes of eBPF stack here`,
        node,
      );
    return -this.#sp;
  }
  mark(): number {
    return this.#sp;
  }
  release(mark: number): void {
    this.#sp = Math.max(mark, this.#floor);
  }
  at<T>(node: Located, f: () => T): T {
    const saved = this.#node;
    this.#node = node;
    try {
      return f();
    } finally {
      this.#node = saved;
    }
  }

  // ---------------------------------------------------------------- types

  builtinType(name: string, node: Located): ValueType {
    switch (name) {
      case 'nsecs':
      case 'pcpu':
      case 'cpu':
      case 'vm':
      case 'vcpu':
        return UINT;
      case 'probe':
      case 'comm':
        return STR;
      case 'retval':
        if (this.probe.kind !== 'hretprobe' && this.probe.kind !== 'kretprobe')
          this.s.fail(
            'UNKNOWN_IDENTIFIER',
            `\`retval\` exists only in hretprobe and kretprobe probes, not in ${this.probe.kind}`,
            node,
          );
        return UINT;
      case 'pc':
        if (!['hprobe', 'hretprobe', 'kprobe', 'kretprobe'].includes(this.probe.kind))
          this.s.fail(
            'UNKNOWN_IDENTIFIER',
            `\`pc\` exists only in hprobe and kprobe probes, not in ${this.probe.kind}`,
            node,
          );
        return UINT;
      default: {
        const arg = /^arg([0-9])$/.exec(name);
        if (arg) {
          if (!['hprobe', 'hretprobe', 'kprobe', 'kretprobe'].includes(this.probe.kind))
            this.s.fail(
              'UNKNOWN_IDENTIFIER',
              `\`${name}\` exists only in hprobe and kprobe probes${this.probe.kind === 'tracepoint' ? ': tracepoints have `args.NAME`' : ''}`,
              node,
            );
          if (Number(arg[1]) > 7)
            this.s.fail('UNKNOWN_IDENTIFIER', `only arg0..arg7 are available`, node);
          return UINT;
        }
        return this.s.fail('UNKNOWN_IDENTIFIER', `unknown identifier \`${name}\``, node);
      }
    }
  }

  mapDecl(name: string, node: Located): MapDecl {
    const d = this.s.byName.get(name);
    if (d === undefined)
      this.s.fail('UNKNOWN_IDENTIFIER', `map \`${name}\` is never assigned`, node);
    return d;
  }

  /** Checks (and on first use fixes) a map's key types. */
  checkKeys(d: MapDecl, keys: Expr[], node: Located): ValueType[] {
    const types = keys.map((k) => this.typeOf(k));
    const norm = types.map((t) => (t.t === 'str' ? STR : t));
    if (d.keys === undefined) d.keys = norm;
    else if (d.keys.length !== norm.length || d.keys.some((k, i) => k.t !== norm[i]!.t)) {
      const show = (ts: ValueType[]) =>
        ts.length === 0
          ? 'no key'
          : `[${ts.map((t) => (t.t === 'str' ? 'string' : 'int')).join(', ')}]`;
      this.s.fail(
        'TYPE_MISMATCH',
        `map \`${d.name}\` is used with ${show(norm)} here but with ${show(d.keys)} elsewhere`,
        node,
      );
    }
    return norm;
  }

  typeOf(e: Expr): ValueType {
    switch (e.kind) {
      case 'int':
        return INT;
      case 'str':
        return STR;
      case 'var': {
        const v = this.vars.get(e.name);
        if (v === undefined)
          this.s.fail(
            'UNKNOWN_IDENTIFIER',
            `variable \`${e.name}\` is used before it is assigned`,
            e,
          );
        return v.type;
      }
      case 'map': {
        const d = this.mapDecl(e.name, e);
        this.checkKeys(d, e.keys, e);
        if (d.kind === 'int') return INT;
        if (d.kind === 'count') return UINT;
        if (d.kind === 'sum' || d.kind === 'min' || d.kind === 'max')
          return { t: 'int', signed: d.signed ?? true };
        return this.s.fail(
          'TYPE_MISMATCH',
          `map \`${e.name}\` holds \`${d.kind}()\` values, which cannot be read in an expression (print it instead)`,
          e,
        );
      }
      case 'field': {
        if (this.probe.kind !== 'tracepoint')
          this.s.fail('UNKNOWN_IDENTIFIER', `\`args\` exists only in tracepoint probes`, e);
        const f = fieldOf(this.probe, e.name);
        if (f === undefined)
          this.s.fail(
            'UNKNOWN_FIELD',
            `${this.probe.name} has no field \`${e.name}\` (fields: ${this.probe.event!.fields.map((x) => x.name).join(', ')})`,
            e,
          );
        if (f.kind === 'char-array') return STR;
        if (f.kind === 'dynamic-string')
          this.s.fail(
            'TYPE_MISMATCH',
            `field \`${e.name}\` is a dynamic string, which bpfscript cannot read yet`,
            e,
          );
        return { t: 'int', signed: f.signed };
      }
      case 'ident':
        return this.builtinType(e.name, e);
      case 'call':
        if (AGGREGATIONS.has(e.name))
          this.s.fail(
            'TYPE_MISMATCH',
            `\`${e.name}()\` can only be assigned to a map (\`@m[key] = ${e.name}(...)\`)`,
            e,
          );
        if (['printf', 'print', 'clear', 'delete', 'exit', 'zero'].includes(e.name))
          this.s.fail('TYPE_MISMATCH', `\`${e.name}()\` returns no value`, e);
        return this.s.fail('UNKNOWN_IDENTIFIER', `unknown function \`${e.name}\``, e);
      case 'unary': {
        const t = this.typeOf(e.operand);
        if (t.t !== 'int')
          this.s.fail('TYPE_MISMATCH', `\`${e.op}\` needs an integer, not a string`, e.operand);
        return e.op === '!' ? INT : t;
      }
      case 'binary': {
        const l = this.typeOf(e.left);
        const r = this.typeOf(e.right);
        if (l.t === 'str' || r.t === 'str') {
          if (l.t === 'str' && r.t === 'str' && (e.op === '==' || e.op === '!=')) return INT;
          this.s.fail(
            'TYPE_MISMATCH',
            `\`${e.op}\` between ${typeName(l)} and ${typeName(r)}: strings only compare with \`==\` and \`!=\` to strings`,
            e,
          );
        }
        if (['==', '!=', '<', '<=', '>', '>=', '&&', '||'].includes(e.op)) return INT;
        return { t: 'int', signed: l.signed && r.signed };
      }
      case 'ternary': {
        const c = this.typeOf(e.cond);
        if (c.t !== 'int') this.s.fail('TYPE_MISMATCH', 'a condition must be an integer', e.cond);
        const a = this.typeOf(e.then);
        const b = this.typeOf(e.else);
        if (a.t !== b.t)
          this.s.fail(
            'TYPE_MISMATCH',
            `the branches of \`?:\` have different types (${typeName(a)} and ${typeName(b)})`,
            e,
          );
        return a.t === 'str'
          ? STR
          : { t: 'int', signed: a.signed && (b as { signed: boolean }).signed };
      }
    }
  }

  // ---------------------------------------------------------------- expressions

  /** Evaluates an integer expression into r0. */
  int(e: Expr): void {
    this.at(e, () => this.#int(e));
  }

  #int(e: Expr): void {
    const t = this.typeOf(e);
    if (t.t !== 'int') this.s.fail('TYPE_MISMATCH', 'expected an integer, found a string', e);
    switch (e.kind) {
      case 'int':
        return this.konst(0, e.value);
      case 'var':
        return this.ld('dw', 0, 10, this.vars.get(e.name)!.off);
      case 'field': {
        const f = fieldOf(this.probe, e.name)!;
        const w: Width = f.size === 1 ? 'b' : f.size === 2 ? 'h' : f.size === 4 ? 'w' : 'dw';
        this.ld(w, 0, 6, f.offset);
        if (f.signed && f.size < 8) {
          this.alu('lsh', 0, 64 - 8 * f.size);
          this.alu('arsh', 0, 64 - 8 * f.size);
        }
        return;
      }
      case 'ident':
        return this.#builtin(e.name);
      case 'map': {
        const d = this.mapDecl(e.name, e);
        const m = this.mark();
        const key = this.key(d, e.keys, e);
        this.mapRef(1, d.index);
        this.stackPtr(2, key);
        this.call(H.lookup);
        const none = this.label();
        const done = this.label();
        this.jmp('jeq', 0, 0, none);
        this.ld('dw', 0, 0, 0);
        this.ja(done);
        this.place(none);
        this.mov(0, 0);
        this.place(done);
        this.release(m);
        return;
      }
      case 'unary':
        this.int(e.operand);
        if (e.op === '-') {
          this.b.neg(0);
          this.#count();
        } else if (e.op === '~') this.alu('xor', 0, -1);
        else this.#bool('jeq', 0, 0);
        return;
      case 'binary':
        return this.#binary(e);
      case 'ternary': {
        const other = this.label();
        const done = this.label();
        this.int(e.cond);
        this.jmp('jeq', 0, 0, other);
        this.int(e.then);
        this.ja(done);
        this.place(other);
        this.int(e.else);
        this.place(done);
        return;
      }
      default:
        this.s.fail('TYPE_MISMATCH', 'expected an integer', e);
    }
  }

  /** r0 = (r<dst> op src) ? 1 : 0. */
  #bool(op: JumpOp, dst: number, src: number | { reg: number }): void {
    const yes = this.label();
    const done = this.label();
    this.jmp(op, dst, src, yes);
    this.mov(0, 0);
    this.ja(done);
    this.place(yes);
    this.mov(0, 1);
    this.place(done);
  }

  #builtin(name: string): void {
    const p = this.probe;
    const guest = p.kind === 'kprobe' || p.kind === 'kretprobe';
    const host = p.kind === 'hprobe' || p.kind === 'hretprobe';
    switch (name) {
      case 'nsecs':
        return this.call(H.ktime);
      case 'pcpu':
      case 'cpu':
        return this.call(H.cpu);
      case 'vm':
      case 'vcpu': {
        const field =
          p.kind === 'tracepoint' ? fieldOf(p, name === 'vm' ? 'vm_id' : 'vcpu_id') : undefined;
        if (field !== undefined && field.size === 4) return this.ld('w', 0, 6, field.offset);
        if (guest) return this.ld('w', 0, 6, name === 'vm' ? GUEST_CTX.vmId : GUEST_CTX.vcpuId);
        return this.call(name === 'vm' ? H.vm : H.vcpu);
      }
      case 'retval':
        return this.ld('dw', 0, 6, guest ? GUEST_CTX.retval : HPROBE_CTX.x0);
      case 'pc':
        return this.ld('dw', 0, 6, guest ? GUEST_CTX.gva : HPROBE_CTX.pc);
      default: {
        const n = Number(name.slice(3));
        return this.ld('dw', 0, 6, (host ? HPROBE_CTX.x0 : GUEST_CTX.x0) + 8 * n);
      }
    }
  }

  #binary(e: Expr & { kind: 'binary' }): void {
    const l = this.typeOf(e.left);
    const r = this.typeOf(e.right);
    if (l.t === 'str' && r.t === 'str') return this.#strEq(e);
    if (e.op === '&&' || e.op === '||') {
      const short = this.label();
      const done = this.label();
      const j: JumpOp = e.op === '&&' ? 'jeq' : 'jne';
      this.int(e.left);
      this.jmp(j, 0, 0, short);
      this.int(e.right);
      this.jmp(j, 0, 0, short);
      this.mov(0, e.op === '&&' ? 1 : 0);
      this.ja(done);
      this.place(short);
      this.mov(0, e.op === '&&' ? 0 : 1);
      this.place(done);
      return;
    }
    const signed = (l as { signed: boolean }).signed && (r as { signed: boolean }).signed;
    const rightConst =
      e.right.kind === 'int' &&
      BigInt.asIntN(64, e.right.value) >= -2147483648n &&
      BigInt.asIntN(64, e.right.value) <= 2147483647n
        ? Number(BigInt.asIntN(64, e.right.value))
        : undefined;
    let src: number | { reg: number };
    if (rightConst !== undefined) {
      this.int(e.left);
      src = rightConst;
    } else {
      const m = this.mark();
      const t = this.alloc(8, e);
      this.int(e.left);
      this.st('dw', 10, t, reg(0));
      this.int(e.right);
      this.mov(1, reg(0));
      this.ld('dw', 0, 10, t);
      this.release(m);
      src = reg(1);
    }
    const cmp: Partial<Record<BinaryOp, JumpOp>> = signed
      ? { '==': 'jeq', '!=': 'jne', '<': 'jslt', '<=': 'jsle', '>': 'jsgt', '>=': 'jsge' }
      : { '==': 'jeq', '!=': 'jne', '<': 'jlt', '<=': 'jle', '>': 'jgt', '>=': 'jge' };
    const j = cmp[e.op];
    if (j !== undefined) return this.#bool(j, 0, src);
    const ops: Record<string, AluOp> = {
      '+': 'add',
      '-': 'sub',
      '*': 'mul',
      '/': signed ? 'sdiv' : 'div',
      '%': signed ? 'smod' : 'mod',
      '&': 'and',
      '|': 'or',
      '^': 'xor',
      '<<': 'lsh',
      '>>': (l as { signed: boolean }).signed ? 'arsh' : 'rsh',
    };
    this.alu(ops[e.op]!, 0, src);
  }

  #strEq(e: Expr & { kind: 'binary' }): void {
    const m = this.mark();
    const a = this.alloc(STRING_SIZE, e);
    const b = this.alloc(STRING_SIZE, e);
    this.str(e.left, a);
    this.str(e.right, b);
    const differ = this.label();
    const done = this.label();
    for (let i = 0; i < STRING_SIZE; i += 8) {
      this.ld('dw', 1, 10, a + i);
      this.ld('dw', 2, 10, b + i);
      this.jmp('jne', 1, reg(2), differ);
    }
    this.mov(0, e.op === '==' ? 1 : 0);
    this.ja(done);
    this.place(differ);
    this.mov(0, e.op === '==' ? 0 : 1);
    this.place(done);
    this.release(m);
  }

  /** Writes a string expression into the STRING_SIZE bytes at r10 + off. */
  str(e: Expr, off: number): void {
    this.at(e, () => this.#str(e, off));
  }

  #literal(text: string, off: number): void {
    const bytes = new Uint8Array(STRING_SIZE);
    bytes.set(new TextEncoder().encode(text).subarray(0, STRING_SIZE - 1));
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < STRING_SIZE; i += 8) {
      const v = view.getBigInt64(i, true);
      if (v >= -2147483648n && v <= 2147483647n) this.st('dw', 10, off + i, Number(v));
      else {
        this.konst(1, v);
        this.st('dw', 10, off + i, reg(1));
      }
    }
  }

  #str(e: Expr, off: number): void {
    const t = this.typeOf(e);
    if (t.t !== 'str') this.s.fail('TYPE_MISMATCH', `expected a string, found ${typeName(t)}`, e);
    switch (e.kind) {
      case 'str':
        return this.#literal(e.value, off);
      case 'ident':
        if (e.name === 'probe') return this.#literal(this.probe.name, off);
        // comm
        this.stackPtr(1, off);
        this.mov(2, 16);
        this.call(H.comm);
        this.zero(off + 16, STRING_SIZE - 16);
        return;
      case 'var': {
        const v = this.vars.get(e.name)!;
        for (let i = 0; i < STRING_SIZE; i += 8) {
          this.ld('dw', 1, 10, v.off + i);
          this.st('dw', 10, off + i, reg(1));
        }
        return;
      }
      case 'field': {
        const f = fieldOf(this.probe, e.name)!;
        this.zero(off, STRING_SIZE);
        const n = Math.min(f.size, STRING_SIZE - 1);
        let i = 0;
        while (i < n) {
          const src = f.offset + i;
          const w: [Width, number] =
            n - i >= 8 && src % 8 === 0
              ? ['dw', 8]
              : n - i >= 4 && src % 4 === 0
                ? ['w', 4]
                : n - i >= 2 && src % 2 === 0
                  ? ['h', 2]
                  : ['b', 1];
          this.ld(w[0], 1, 6, src);
          this.st(w[0], 10, off + i, reg(1));
          i += w[1];
        }
        return;
      }
      case 'ternary': {
        const other = this.label();
        const done = this.label();
        this.int(e.cond);
        this.jmp('jeq', 0, 0, other);
        this.str(e.then, off);
        this.ja(done);
        this.place(other);
        this.str(e.else, off);
        this.place(done);
        return;
      }
      default:
        this.s.fail('TYPE_MISMATCH', 'expected a string', e);
    }
  }

  /** Builds a map key on the stack; returns its offset (the caller releases). */
  key(d: MapDecl, keys: Expr[], node: Located): number {
    const types = this.checkKeys(d, keys, node);
    const size = keySizeOf(d);
    const off = this.alloc(size, node);
    if (keys.length === 0) this.st('dw', 10, off, 0);
    let at = off;
    keys.forEach((k, i) => {
      if (types[i]!.t === 'str') {
        this.str(k, at);
        at += STRING_SIZE;
      } else {
        this.int(k);
        this.st('dw', 10, at, reg(0));
        at += 8;
      }
    });
    return off;
  }

  /** Looks the key up, inserting a zero value when missing: r0 = value pointer, or jumps to `skip`. */
  ensure(d: MapDecl, key: number, skip: string, node: Located): void {
    const have = this.label();
    this.mapRef(1, d.index);
    this.stackPtr(2, key);
    this.call(H.lookup);
    this.jmp('jne', 0, 0, have);
    const m = this.mark();
    const value = this.alloc(valueSizeOf(d.kind), node);
    this.zero(value, valueSizeOf(d.kind));
    this.mapRef(1, d.index);
    this.stackPtr(2, key);
    this.stackPtr(3, value);
    this.mov(4, BPF_NOEXIST);
    this.call(H.update);
    this.release(m);
    this.mapRef(1, d.index);
    this.stackPtr(2, key);
    this.call(H.lookup);
    this.jmp('jeq', 0, 0, skip);
    this.place(have);
  }

  // ---------------------------------------------------------------- statements

  stmts(list: Stmt[]): void {
    for (const s of list) this.at(s, () => this.#stmt(s));
  }

  #compound(op: string): BinaryOp {
    return op.slice(0, -1) as BinaryOp;
  }

  #stmt(s: Stmt): void {
    const m = this.mark();
    switch (s.kind) {
      case 'if': {
        const other = this.label();
        const done = this.label();
        const c = this.typeOf(s.cond);
        if (c.t !== 'int') this.s.fail('TYPE_MISMATCH', 'a condition must be an integer', s.cond);
        this.int(s.cond);
        this.jmp('jeq', 0, 0, other);
        this.stmts(s.then);
        if (s.else !== undefined) this.ja(done);
        this.place(other);
        if (s.else !== undefined) {
          this.stmts(s.else);
          this.place(done);
        }
        break;
      }
      case 'assign-var': {
        const value: Expr =
          s.op === '='
            ? s.value
            : {
                kind: 'binary',
                op: this.#compound(s.op),
                left: { kind: 'var', name: s.name, at: s.at, len: s.name.length },
                right: s.value,
                at: s.at,
                len: s.len,
              };
        const t = this.typeOf(value);
        let v = this.vars.get(s.name);
        if (v !== undefined && v.type.t !== t.t)
          this.s.fail(
            'TYPE_MISMATCH',
            `variable \`${s.name}\` holds ${typeName(v.type)} but is assigned ${typeName(t)}`,
            s.value,
          );
        if (v === undefined) {
          const size = t.t === 'str' ? STRING_SIZE : 8;
          v = { type: t, off: this.alloc(size, s), size };
          this.#floor = this.#sp;
          this.vars.set(s.name, v);
          this.#zeroSlots.push({ off: v.off, size });
        }
        if (t.t === 'str') {
          // copy through a temporary: `$s = cond ? $s : "x"` must read the old value intact
          const tmp = this.alloc(STRING_SIZE, s);
          this.str(value, tmp);
          for (let i = 0; i < STRING_SIZE; i += 8) {
            this.ld('dw', 1, 10, tmp + i);
            this.st('dw', 10, v.off + i, reg(1));
          }
        } else {
          this.int(value);
          this.st('dw', 10, v.off, reg(0));
        }
        break;
      }
      case 'assign-map':
        this.#assignMap(s);
        break;
      case 'expr':
        this.#exprStmt(s.expr);
        break;
    }
    this.release(m);
  }

  #assignMap(s: Stmt & { kind: 'assign-map' }): void {
    const d = this.mapDecl(s.target.name, s.target);
    const v = s.value;
    const skip = this.label();
    if (s.op === '=' && v.kind === 'call' && AGGREGATIONS.has(v.name)) {
      const arity: Record<string, number> = {
        count: 0,
        sum: 1,
        min: 1,
        max: 1,
        avg: 1,
        stats: 1,
        hist: 1,
        lhist: 4,
      };
      if (v.args.length !== arity[v.name])
        this.s.fail(
          'BAD_ARGUMENTS',
          `\`${v.name}()\` takes ${arity[v.name]} argument${arity[v.name] === 1 ? '' : 's'}, not ${v.args.length}`,
          v,
        );
      let tmp = 0;
      let signed = false;
      if (v.args.length > 0) {
        const t = this.typeOf(v.args[0]!);
        if (t.t !== 'int')
          this.s.fail(
            'TYPE_MISMATCH',
            `\`${v.name}()\` needs an integer, not a string`,
            v.args[0]!,
          );
        signed = t.signed;
        d.signed ??= signed;
        tmp = this.alloc(8, v);
        this.int(v.args[0]!);
        this.st('dw', 10, tmp, reg(0));
      } else d.signed ??= false;
      if (v.name === 'lhist') {
        const consts = v.args.slice(1).map((a) => this.#constant(a));
        const [min, max, step] = consts as [bigint, bigint, bigint];
        if (step <= 0n || max <= min)
          this.s.fail(
            'BAD_ARGUMENTS',
            '`lhist(value, min, max, step)` needs min < max and step > 0',
            v,
          );
        if ((max - min) / step > 1000n)
          this.s.fail('BAD_ARGUMENTS', '`lhist()` would have more than 1000 buckets', v);
        if (
          d.lhist !== undefined &&
          (d.lhist.min !== min || d.lhist.max !== max || d.lhist.step !== step)
        )
          this.s.fail('TYPE_MISMATCH', `map \`${d.name}\` has other lhist bounds elsewhere`, v);
        d.lhist = { min, max, step };
      }
      const key = this.key(d, s.target.keys, s.target);
      if (v.name === 'hist' || v.name === 'lhist') {
        this.ld('dw', 1, 10, tmp);
        if (v.name === 'hist') this.#log2Bucket(signed);
        else this.#linearBucket(signed, d.lhist!);
        this.st('dw', 10, key + keySizeOf(d) - 8, reg(0));
      }
      this.ensure(d, key, skip, s);
      if (tmp !== 0) this.ld('dw', 1, 10, tmp);
      switch (v.name) {
        case 'count':
        case 'hist':
        case 'lhist':
          this.ld('dw', 2, 0, 0);
          this.alu('add', 2, 1);
          this.st('dw', 0, 0, reg(2));
          break;
        case 'sum':
          this.ld('dw', 2, 0, 0);
          this.alu('add', 2, reg(1));
          this.st('dw', 0, 0, reg(2));
          break;
        case 'avg':
        case 'stats':
          this.ld('dw', 2, 0, 0);
          this.alu('add', 2, 1);
          this.st('dw', 0, 0, reg(2));
          this.ld('dw', 2, 0, 8);
          this.alu('add', 2, reg(1));
          this.st('dw', 0, 8, reg(2));
          break;
        case 'min':
        case 'max': {
          const store = this.label();
          this.ld('dw', 2, 0, 8);
          this.jmp('jeq', 2, 0, store);
          this.ld('dw', 2, 0, 0);
          const keep: JumpOp =
            v.name === 'min' ? (signed ? 'jsge' : 'jge') : signed ? 'jsle' : 'jle';
          this.jmp(keep, 1, reg(2), skip);
          this.place(store);
          this.st('dw', 0, 0, reg(1));
          this.st('dw', 0, 8, 1);
          break;
        }
      }
      this.place(skip);
      return;
    }
    if (d.kind !== 'int')
      this.s.fail('TYPE_MISMATCH', `map \`${d.name}\` holds \`${d.kind}()\` values`, s);
    const t = this.typeOf(v);
    if (t.t !== 'int')
      this.s.fail('TYPE_MISMATCH', 'map values must be integers (strings may be keys)', v);
    d.signed ??= true;
    const tmp = this.alloc(8, v);
    this.int(v);
    this.st('dw', 10, tmp, reg(0));
    const key = this.key(d, s.target.keys, s.target);
    if (s.op === '=') {
      this.mapRef(1, d.index);
      this.stackPtr(2, key);
      this.stackPtr(3, tmp);
      this.mov(4, 0);
      this.call(H.update);
      this.place(skip);
      return;
    }
    this.ensure(d, key, skip, s);
    this.ld('dw', 1, 0, 0);
    this.ld('dw', 2, 10, tmp);
    const signed = t.signed;
    const ops: Record<string, AluOp> = {
      '+=': 'add',
      '-=': 'sub',
      '*=': 'mul',
      '/=': signed ? 'sdiv' : 'div',
      '%=': signed ? 'smod' : 'mod',
      '&=': 'and',
      '|=': 'or',
      '^=': 'xor',
      '<<=': 'lsh',
      '>>=': 'arsh',
    };
    this.alu(ops[s.op]!, 1, reg(2));
    this.st('dw', 0, 0, reg(1));
    this.place(skip);
  }

  #constant(e: Expr): bigint {
    if (e.kind === 'int') return BigInt.asIntN(64, e.value);
    if (e.kind === 'unary' && e.op === '-' && e.operand.kind === 'int')
      return -BigInt.asIntN(64, e.operand.value);
    return this.s.fail('BAD_ARGUMENTS', 'expected an integer constant', e);
  }

  /**
   * r0 = bpftrace's hist bucket of r1: 0 negative, 1 for 0, then 2 + floor(log2 v). The log2
   * is branch-free (six shift steps, `(x | -x) >> 63` as "x != 0") so the verifier walks one
   * path instead of 64.
   */
  #log2Bucket(signed: boolean): void {
    const done = this.label();
    this.mov(0, 0);
    if (signed) this.jmp('jslt', 1, 0, done);
    this.mov(0, 1);
    this.jmp('jeq', 1, 0, done);
    this.mov(0, 2);
    for (const shift of [32, 16, 8, 4, 2, 1]) {
      this.mov(2, reg(1));
      this.alu('rsh', 2, shift);
      this.mov(3, reg(2));
      this.b.neg(3);
      this.#count();
      this.alu('or', 3, reg(2));
      this.alu('rsh', 3, 63);
      this.alu('mul', 3, shift);
      this.alu('rsh', 1, reg(3));
      this.alu('add', 0, reg(3));
    }
    this.place(done);
  }

  /** r0 = lhist bucket of r1: 0 below min, 1 + (v - min) / step inside, last above. */
  #linearBucket(signed: boolean, p: { min: bigint; max: bigint; step: bigint }): void {
    const done = this.label();
    const buckets = (p.max - p.min + p.step - 1n) / p.step;
    this.konst(2, p.min);
    this.mov(0, 0);
    this.jmp(signed || p.min < 0n ? 'jslt' : 'jlt', 1, reg(2), done);
    this.konst(3, p.max);
    this.konst(0, buckets + 1n);
    this.jmp(signed || p.min < 0n ? 'jsge' : 'jge', 1, reg(3), done);
    this.mov(0, reg(1));
    this.alu('sub', 0, reg(2));
    this.konst(3, p.step);
    this.alu('div', 0, reg(3));
    this.alu('add', 0, 1);
    this.place(done);
  }

  /** Sends a record of `size` bytes at r10 + off to the event ring. */
  #emitEvent(off: number, size: number): void {
    this.mapRef(1, this.s.ringIndex());
    this.stackPtr(2, off);
    this.mov(3, size);
    this.mov(4, 0);
    this.call(H.ringbufOutput);
  }

  #exprStmt(e: Expr): void {
    if (e.kind !== 'call') {
      this.typeOf(e);
      if (this.typeOf(e).t === 'int') this.int(e);
      return;
    }
    switch (e.name) {
      case 'printf': {
        const [fmt, ...args] = e.args;
        if (fmt === undefined || fmt.kind !== 'str')
          this.s.fail('BAD_ARGUMENTS', '`printf()` takes a format string first', fmt ?? e);
        if (args.length > 7)
          this.s.fail('BAD_ARGUMENTS', '`printf()` takes at most 7 arguments after the format', e);
        const types = args.map((a) => this.typeOf(a));
        const problem = checkFormat(fmt.value, types);
        if (problem !== undefined)
          this.s.fail(
            'BAD_FORMAT',
            problem.message,
            problem.arg === undefined ? fmt : args[problem.arg]!,
          );
        const index = this.s.printfs.length;
        this.s.printfs.push({
          format: fmt.value,
          args: types.map((t) => (t.t === 'str' ? STR : t)),
        });
        const size = 8 + types.reduce((n, t) => n + (t.t === 'str' ? STRING_SIZE : 8), 0);
        const buf = this.alloc(size, e);
        this.st('dw', 10, buf, EVENT_KIND.printf | (index << 8));
        let at = buf + 8;
        args.forEach((a, i) => {
          if (types[i]!.t === 'str') {
            this.str(a, at);
            at += STRING_SIZE;
          } else {
            this.int(a);
            this.st('dw', 10, at, reg(0));
            at += 8;
          }
        });
        this.#emitEvent(buf, size);
        return;
      }
      case 'print':
      case 'clear':
      case 'zero': {
        const target = e.args[0];
        if (
          e.args.length !== 1 ||
          target === undefined ||
          target.kind !== 'map' ||
          target.keys.length > 0
        )
          this.s.fail(
            'BAD_ARGUMENTS',
            `\`${e.name}()\` takes one map, without a key: \`${e.name}(@name)\``,
            e,
          );
        const d = this.mapDecl(target.name, target);
        const buf = this.alloc(8, e);
        this.st('dw', 10, buf, EVENT_KIND[e.name] | (d.index << 8));
        this.#emitEvent(buf, 8);
        return;
      }
      case 'exit': {
        if (e.args.length !== 0) this.s.fail('BAD_ARGUMENTS', '`exit()` takes no argument', e);
        this.s.exits = true;
        const buf = this.alloc(8, e);
        this.st('dw', 10, buf, EVENT_KIND.exit);
        this.#emitEvent(buf, 8);
        return;
      }
      case 'delete': {
        const target = e.args[0];
        if (e.args.length !== 1 || target === undefined || target.kind !== 'map')
          this.s.fail('BAD_ARGUMENTS', '`delete()` takes one map element: `delete(@name[key])`', e);
        const d = this.mapDecl(target.name, target);
        if (d.kind === 'hist' || d.kind === 'lhist')
          this.s.fail(
            'TYPE_MISMATCH',
            `\`delete()\` of one key of a ${d.kind} map is not supported: use \`clear(${d.name})\``,
            e,
          );
        const key = this.key(d, target.keys, target);
        this.mapRef(1, d.index);
        this.stackPtr(2, key);
        this.call(H.delete);
        return;
      }
      default:
        this.typeOf(e);
    }
  }

  /** Emits the whole program. */
  program(block: ProbeBlock): void {
    const body = this.label();
    const init = this.label();
    const end = this.label();
    this.mov(6, reg(1));
    this.ja(init);
    this.place(body);
    if (block.filter !== undefined) {
      const f = block.filter;
      const t = this.typeOf(f);
      if (t.t !== 'int') this.s.fail('TYPE_MISMATCH', 'a filter must be an integer', f);
      this.int(f);
      this.jmp('jeq', 0, 0, end);
    }
    this.stmts(block.body);
    this.place(end);
    this.mov(0, 0);
    this.b.exit();
    this.#count();
    this.place(init);
    for (const z of this.#zeroSlots) this.zero(z.off, z.size);
    this.ja(body);
  }
}

/** A verifier rejection in the terms of the language, for the codes generated code can meet. */
function explainRejection(code: string, contextSize: number): string | undefined {
  switch (code) {
    case 'OUT_OF_BOUNDS':
    case 'CONTEXT_ACCESS':
    case 'INVALID_MEMORY_ACCESS':
      return `this reads outside the probe's context (${contextSize} bytes) or a buffer`;
    case 'UNINITIALIZED_STACK':
    case 'UNINITIALIZED_REGISTER':
      return 'this reads a value before it is written';
    case 'NULL_DEREFERENCE':
      return 'this uses a map value that may be missing';
    case 'COMPLEXITY_LIMIT':
      return 'the probe has too many paths for the verifier: simplify its conditions or split it';
    case 'INVALID_MAP':
    case 'INVALID_HELPER_ARGUMENT':
      return 'a map or helper is used with arguments it does not take';
    default:
      return undefined;
  }
}

/**
 * Compiles a bpfscript program: parse, check, generate and verify one eBPF program per probe.
 *
 * @param source - the program text (`tracepoint:vmm:vcpu_run_exit { @[args.vm_id] = count(); }`).
 * @param options - tracepoint definitions, file name, map sizes.
 * @returns maps, printf formats and programs for a host to load (see `ScriptRunner`).
 * @throws {ScriptError} with the line, column and span of the culprit: syntax errors, unknown
 * probes/fields/identifiers, type errors, `STACK_LIMIT`, `VERIFIER_REJECTED` (`cause` holds the
 * verifier's error; the span is the statement that produced the rejected instruction).
 *
 * @example
 * ```ts
 * import { VMM_EVENTS } from '@axebpf/axvisor-vmm';
 * const script = compile('tracepoint:vmm:vcpu_run_exit { @[args.exit_reason] = count(); }', {
 *   tracepoints: Object.values(VMM_EVENTS),
 * });
 * ```
 */
export function compile(source: string, options: CompileOptions = {}): CompiledScript {
  const file = options.file ?? 'stdin';
  const ast = parse(source, file);
  const shared: Shared = new Shared(source, file);
  const events = new Map<string, EventDefinition>();
  for (const e of options.tracepoints ?? []) events.set(e.fullName, e);
  collectMaps(ast, shared);
  const probes: CompiledProbe[] = [];
  const slotNodesOf: Located[][] = [];
  for (const block of ast.blocks) {
    for (const ref of block.probes) {
      const spec = parseProbe(ref.text);
      if (typeof spec === 'string') shared.fail('UNKNOWN_PROBE', spec, ref);
      const resolved = resolveProbe(spec, ref.text, events);
      if (resolved.length === 0)
        shared.fail(
          'UNKNOWN_PROBE',
          spec.kind === 'tracepoint'
            ? `no tracepoint matches \`${ref.text}\``
            : `unknown probe \`${ref.text}\``,
          ref,
        );
      for (const probe of resolved) {
        const gen = new Gen(shared, probe, block);
        gen.program(block);
        let insns;
        try {
          insns = gen.b.insns();
        } catch (e) {
          return shared.fail(
            'VERIFIER_REJECTED',
            `internal error: ${(e as Error).message}`,
            ref,
            e,
          );
        }
        const bytecode = encodeInsns(insns);
        probes.push({
          kind: probe.kind,
          name: probe.name,
          target: probe.target,
          bytecode,
          mapRelocations: gen.relocs,
          contextSize: probe.contextSize,
          at: ref.at,
          len: ref.len,
          insnProcessed: 0,
        });
        slotNodesOf.push(gen.slotNodes);
      }
    }
  }
  const maxEntries = options.maxEntries ?? 4096;
  const ringBytes = options.ringBytes ?? 256 * 1024;
  const maps: MapSpec[] = shared.maps.map((d) => {
    if (d.index === shared.ring)
      return {
        name: d.name,
        kind: 'ringbuf',
        keys: [],
        keySize: 0,
        valueSize: 0,
        maxEntries: ringBytes,
        signed: false,
      };
    return {
      name: d.name,
      kind: d.kind,
      keys: d.keys ?? [],
      keySize: keySizeOf(d),
      valueSize: valueSizeOf(d.kind),
      maxEntries,
      signed: d.signed ?? true,
      ...(d.lhist === undefined ? {} : { lhist: d.lhist }),
    };
  });
  const infos = new Map<number, MapInfo>(
    maps.map((m, i) => [FD_BASE + i, { keySize: m.keySize, valueSize: m.valueSize, name: m.name }]),
  );
  const out = probes.map((p, index) => {
    if (options.verify === false) return p;
    const slotNodes = slotNodesOf[index]!;
    try {
      const r = verify(Program.fromBytes(p.bytecode), {
        programType: 'tracepoint',
        context: { size: p.contextSize },
        helpers: SCRIPT_HELPERS,
        maps: infos,
      });
      return { ...p, insnProcessed: r.insnProcessed };
    } catch (e) {
      const pc = VerifierError.isInstance(e) ? e.pc : -1;
      const node = slotNodes[pc] ?? p;
      const why = VerifierError.isInstance(e) ? explainRejection(e.code, p.contextSize) : undefined;
      return shared.fail(
        'VERIFIER_REJECTED',
        `the verifier rejected the program of \`${p.name}\` here${why === undefined ? '' : `: ${why}`} (insn #${pc}: ${(e as Error).message})`,
        node,
        e,
      );
    }
  });
  return { source, file, maps, printfs: shared.printfs, probes: out, exits: shared.exits };
}
