// SPDX-License-Identifier: MIT
// `pnpm bench` in packages/ksym: lookups per second on 100,000 symbols and blob size versus the
// `nm -n` text of the same symbols. Plain loops; every figure is printed next to a baseline
// measured in the same run (a straightforward BigInt binary search over the addresses).
import { execFileSync } from 'node:child_process';
import {
  buildBlob,
  compressBlob,
  formatNmText,
  isKallsymsSymbol,
  KsymTable,
  parseNmText,
} from '../src/index.js';
import type { KsymInput } from '../src/index.js';

const COUNT = 100_000;
const LOOKUPS = 2_000_000;

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/** C kernel-style names: subsystem prefixes, verbs and objects, some `.cold`/`.isra.0` suffixes. */
function cStyle(count: number): KsymInput[] {
  const r = rng(42);
  const subsystems = [
    'ext4',
    'vfs',
    'sched',
    'mm',
    'tcp_v4',
    'kvm_arch',
    'irq',
    'blk_mq',
    'netif',
    'sysfs',
    'pci',
    'usb',
    'drm',
    'crypto',
    'page',
    'rcu',
  ];
  const verbs = [
    'get',
    'put',
    'alloc',
    'free',
    'init',
    'exit',
    'read',
    'write',
    'map',
    'unmap',
    'lock',
    'unlock',
    'handle',
    'queue',
    'flush',
    'update',
  ];
  const nouns = [
    'inode',
    'page',
    'entry',
    'request',
    'buffer',
    'context',
    'state',
    'table',
    'work',
    'node',
    'range',
    'device',
    'extent',
    'region',
  ];
  const suffixes = ['', '', '', '', '.cold', '.isra.0', '.constprop.0', '.part.0'];
  const out: KsymInput[] = [];
  let addr = 0xffff_8000_8000_0000n;
  for (let i = 0; i < count; i++) {
    addr += BigInt(4 + r(400) * 4);
    const name = `${r(8) === 0 ? '__' : ''}${subsystems[r(subsystems.length)]}_${verbs[r(verbs.length)]}_${nouns[r(nouns.length)]}${r(3) === 0 ? `_${r(100)}` : ''}${suffixes[r(suffixes.length)]}`;
    out.push({ address: addr, type: r(4) === 0 ? 't' : 'T', name });
  }
  return out;
}

/** Rust kernel-style names (AxVisor is Rust): legacy-mangled paths with a 16-digit hash. */
function rustStyle(count: number): KsymInput[] {
  const r = rng(7);
  const crates = [
    'axvisor',
    'axvm',
    'axvcpu',
    'axaddrspace',
    'axhal',
    'axtask',
    'axebpf',
    'core',
    'alloc',
    'spin',
    'page_table_multiarch',
  ];
  const mods = [
    'vmm',
    'vcpu',
    'arch',
    'mem',
    'sync',
    'fmt',
    'ptr',
    'ops',
    'iter',
    'task',
    'irq',
    'run_queue',
  ];
  const items = [
    'run',
    'new',
    'drop_in_place',
    'handle_exit',
    'map_region',
    'lookup',
    'fmt',
    'next',
    'from',
    'into',
    'call_once',
    'deref',
  ];
  const out: KsymInput[] = [];
  let addr = 0xffff_8000_8000_0000n;
  for (let i = 0; i < count; i++) {
    addr += BigInt(4 + r(400) * 4);
    const parts = [
      crates[r(crates.length)]!,
      mods[r(mods.length)]!,
      ...(r(2) === 0 ? [mods[r(mods.length)]!] : []),
      items[r(items.length)]!,
    ];
    const hash = Array.from({ length: 16 }, () => '0123456789abcdef'[r(16)]).join('');
    out.push({
      address: addr,
      type: 'T',
      name: `_ZN${parts.map((p) => `${p.length}${p}`).join('')}17h${hash}E`,
    });
  }
  return out;
}

/** Real names: the host's node binary through `nm -n`, when available. */
function hostNode(): KsymInput[] | undefined {
  try {
    const text = execFileSync('nm', ['-n', process.execPath], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, LC_ALL: 'C' },
    });
    return parseNmText(text).filter(isKallsymsSymbol).slice(0, COUNT);
  } catch {
    return undefined;
  }
}

function baselineSearch(addresses: BigUint64Array, addr: bigint): number {
  let low = 0;
  let high = addresses.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (addresses[mid]! <= addr) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/** Best of 3 timed runs after a warm-up (the machine is shared, so the best run is the figure). */
function rate(fn: () => number): { perSecond: number; check: number } {
  let check = fn(); // warm up
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const start = process.hrtime.bigint();
    check = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { perSecond: LOOKUPS / best, check };
}

const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;

function run(label: string, symbols: KsymInput[]): void {
  const t0 = performance.now();
  const built = buildBlob(symbols);
  const t1 = performance.now();
  const table = KsymTable.fromBlob(built.blob);
  const t2 = performance.now();
  const nmBytes = Buffer.byteLength(formatNmText(symbols));
  const nameBytes = symbols.reduce((s, x) => s + Buffer.byteLength(x.name), 0);
  console.log(
    `\n## ${label}: ${symbols.length} symbols, average name ${(nameBytes / symbols.length).toFixed(1)} bytes`,
  );
  console.log(
    `build ${(t1 - t0).toFixed(0)} ms, load+validate ${(t2 - t1).toFixed(0)} ms, ${built.tokenCount} tokens`,
  );
  console.log(
    `blob ${built.blob.length} bytes, nm -n text ${nmBytes} bytes, ratio ${(built.blob.length / nmBytes).toFixed(3)} (target <= 0.5)`,
  );
  const t3 = performance.now();
  const packed = compressBlob(built.blob);
  const t4 = performance.now();
  KsymTable.fromBlob(packed);
  const t5 = performance.now();
  console.log(
    `compressed container ${packed.length} bytes, ratio ${(packed.length / nmBytes).toFixed(3)} (compress ${(t4 - t3).toFixed(0)} ms, inflate+load ${(t5 - t4).toFixed(0)} ms)`,
  );
  console.log(
    `  names array ${built.namesArrayBytes} bytes for ${built.nameBytes} raw name bytes (${(built.namesArrayBytes / built.nameBytes).toFixed(3)})`,
  );

  const sorted = table.toInputs();
  const addresses = BigUint64Array.from(sorted.map((s) => s.address));
  const lo = addresses[0]!;
  const span = Number(addresses[addresses.length - 1]! - lo);
  const r = rng(99);
  const queries: bigint[] = new Array<bigint>(LOOKUPS);
  const his = new Uint32Array(LOOKUPS);
  const los = new Uint32Array(LOOKUPS);
  for (let i = 0; i < LOOKUPS; i++) {
    const q = lo + BigInt(Math.floor((r(1 << 30) / (1 << 30)) * span));
    queries[i] = q;
    his[i] = Number(q >> 32n);
    los[i] = Number(q & 0xffff_ffffn);
  }
  const baseline = rate(() => {
    let acc = 0;
    for (let i = 0; i < LOOKUPS; i++) acc += baselineSearch(addresses, queries[i]!);
    return acc;
  });
  const full = rate(() => {
    let acc = 0;
    for (let i = 0; i < LOOKUPS; i++) acc += table.lookupAddress(queries[i]!)!.offset & 1;
    return acc;
  });
  const index = rate(() => {
    let acc = 0;
    for (let i = 0; i < LOOKUPS; i++) acc += table.indexOfAddress(queries[i]!);
    return acc;
  });
  const parts = rate(() => {
    let acc = 0;
    for (let i = 0; i < LOOKUPS; i++) acc += table.indexOfAddressParts(his[i]!, los[i]!);
    return acc;
  });
  const names = sorted.map((s) => s.name);
  const byName = rate(() => {
    let acc = 0;
    for (let i = 0; i < LOOKUPS; i++)
      acc += table.lookupName(names[(i * 7919) % names.length]!) === undefined ? 0 : 1;
    return acc;
  });
  console.log(`baseline (BigInt binary search, index only): ${fmt(baseline.perSecond)}`);
  console.log(
    `lookupAddress(bigint) -> {name, offset, size}: ${fmt(full.perSecond)} (${(full.perSecond / baseline.perSecond).toFixed(2)}x baseline)`,
  );
  console.log(
    `indexOfAddress(bigint): ${fmt(index.perSecond)} (${(index.perSecond / baseline.perSecond).toFixed(2)}x)`,
  );
  console.log(
    `indexOfAddressParts(hi, lo): ${fmt(parts.perSecond)} (${(parts.perSecond / baseline.perSecond).toFixed(2)}x)`,
  );
  console.log(`lookupName(string): ${fmt(byName.perSecond)}`);
}

console.log(
  `# @axebpf/ksym bench (Node ${process.version}, best of 3 runs of ${LOOKUPS} random lookups per figure)`,
);
run('C kernel-style names (synthetic)', cStyle(COUNT));
run('Rust legacy-mangled names (synthetic, AxVisor-like)', rustStyle(COUNT));
const node = hostNode();
if (node === undefined) console.log('\n## host node binary: skipped (nm or symbols missing)');
else run('real names: `nm -n` of the host node binary (C++)', node);
