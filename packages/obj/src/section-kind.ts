// SPDX-License-Identifier: MIT
// libbpf's SEC() naming rules (tools/lib/bpf/libbpf.c section_defs), the subset we know.

/** Program kinds named by libbpf section names. */
export type ProgramKind =
  | 'kprobe'
  | 'kretprobe'
  | 'uprobe'
  | 'uretprobe'
  | 'tracepoint'
  | 'raw_tracepoint'
  | 'tp_btf'
  | 'fentry'
  | 'fexit'
  | 'lsm'
  | 'socket_filter'
  | 'xdp'
  | 'sched_cls'
  | 'sched_act'
  | 'perf_event'
  | 'cgroup_skb'
  | 'cgroup_sock'
  | 'sk_msg'
  | 'sk_skb'
  | 'syscall'
  | 'unspecified';

/** What a program section name means. */
export interface SectionKind {
  /** The program kind. */
  kind: ProgramKind;
  /** Attach target after the prefix (`vmm/vcpu_run_exit`, `do_sys_openat2`), or ''. */
  attachTo: string;
}

const PREFIXES: readonly [string, ProgramKind, boolean][] = [
  // [prefix, kind, whether the prefix must be followed by '/']
  ['kprobe', 'kprobe', true],
  ['kretprobe', 'kretprobe', true],
  ['uprobe', 'uprobe', true],
  ['uretprobe', 'uretprobe', true],
  ['tracepoint', 'tracepoint', true],
  ['tp', 'tracepoint', true],
  ['raw_tracepoint', 'raw_tracepoint', true],
  ['raw_tp', 'raw_tracepoint', true],
  ['tp_btf', 'tp_btf', true],
  ['fentry', 'fentry', true],
  ['fexit', 'fexit', true],
  ['lsm', 'lsm', true],
  ['socket', 'socket_filter', false],
  ['xdp', 'xdp', false],
  ['tc', 'sched_cls', false],
  ['classifier', 'sched_cls', false],
  ['action', 'sched_act', false],
  ['perf_event', 'perf_event', false],
  ['cgroup_skb', 'cgroup_skb', true],
  ['cgroup/skb', 'cgroup_skb', false],
  ['cgroup/sock', 'cgroup_sock', false],
  ['sk_msg', 'sk_msg', false],
  ['sk_skb', 'sk_skb', false],
  ['syscall', 'syscall', false],
];

/**
 * Classifies a program section name by libbpf's rules: `kprobe/<fn>`, `tracepoint/<cat>/<name>`
 * (also `tp/`), `raw_tp/<name>`, `socket`, `xdp`, ... Unknown names give `unspecified`.
 * @param section - the ELF section name (the SEC() string).
 * @returns kind and attach target.
 * @example
 * ```ts
 * sectionKind('tp/vmm/vcpu_run_exit'); // { kind: 'tracepoint', attachTo: 'vmm/vcpu_run_exit' }
 * ```
 */
export function sectionKind(section: string): SectionKind {
  for (const [prefix, kind, needsSlash] of PREFIXES) {
    if (section === prefix && !needsSlash) return { kind, attachTo: '' };
    if (section.startsWith(`${prefix}/`))
      return { kind, attachTo: section.slice(prefix.length + 1) };
    // libbpf accepts `xdp.frags`, `socket.x`-style suffixes? It accepts `xdp.frags` only; keep exact.
  }
  return { kind: 'unspecified', attachTo: '' };
}
