// SPDX-License-Identifier: MIT
// The syntax tree of a bpfscript program. Every node carries `at`/`len`: its character range in
// the source, for errors with a caret.

/** A character range of the source. */
export interface Located {
  /** 0-based offset of the first character. */
  readonly at: number;
  /** Characters covered. */
  readonly len: number;
}

/** Binary operators, C precedence. */
export type BinaryOp =
  | '||'
  | '&&'
  | '|'
  | '^'
  | '&'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '<<'
  | '>>'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

/** Expressions. */
export type Expr =
  | (Located & { kind: 'int'; value: bigint })
  | (Located & { kind: 'str'; value: string })
  | (Located & { kind: 'var'; name: string })
  | (Located & { kind: 'map'; name: string; keys: Expr[] })
  | (Located & { kind: 'ident'; name: string })
  | (Located & { kind: 'field'; name: string })
  | (Located & { kind: 'call'; name: string; args: Expr[] })
  | (Located & { kind: 'unary'; op: '!' | '~' | '-'; operand: Expr })
  | (Located & { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr })
  | (Located & { kind: 'ternary'; cond: Expr; then: Expr; else: Expr });

/** A map reference as an assignment target. */
export type MapRef = Located & { kind: 'map'; name: string; keys: Expr[] };

/** Statements. */
export type Stmt =
  | (Located & { kind: 'expr'; expr: Expr })
  | (Located & {
      kind: 'assign-map';
      target: MapRef;
      op: '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';
      value: Expr;
    })
  | (Located & {
      kind: 'assign-var';
      name: string;
      op: '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';
      value: Expr;
    })
  | (Located & { kind: 'if'; cond: Expr; then: Stmt[]; else: Stmt[] | undefined });

/** One probe of a probe list: its text as written (`tracepoint:vmm:*`). */
export type ProbeRef = Located & { text: string };

/** A probe block: probes, optional filter, body. */
export type ProbeBlock = Located & { probes: ProbeRef[]; filter: Expr | undefined; body: Stmt[] };

/** A whole program. */
export interface ProgramAst {
  /** Probe blocks in source order. */
  readonly blocks: ProbeBlock[];
}
