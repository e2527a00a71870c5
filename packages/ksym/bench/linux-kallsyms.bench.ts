// SPDX-License-Identifier: MIT
// `pnpm bench:linux` in packages/ksym: time to decode a Linux kernel's kallsyms into a lookup
// table, for Debian's arm64 Image (when present) and a synthetic 150,000-symbol image (always).
// Baseline in the same run: parsing the same symbols as /proc/kallsyms text (`parseNmText`)
// into a table (`KsymTable.fromSymbols`), what a tool with a text dump would do.
import { existsSync, readFileSync } from 'node:fs';
import { formatNmText, KsymTable, parseNmText, readLinuxKallsyms } from '../src/index.js';
import { buildFakeImage, fakeKernelSymbols } from '../test/linux-image-helpers.js';

const IMAGE =
  process.env['AXEBPF_LINUX_IMAGE'] ?? '/work/linux-images/x/boot/vmlinuz-6.1.0-57-arm64';
const RUNS = 5;

function best(fn: () => unknown): number {
  let min = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function report(label: string, image: Uint8Array): void {
  const k = readLinuxKallsyms(image);
  const text = formatNmText(k.symbols);
  const decode = best(() => readLinuxKallsyms(image));
  const baseline = best(() => KsymTable.fromSymbols(parseNmText(text)));
  const lookups = 1_000_000;
  const addrs = Array.from(
    { length: 1024 },
    (_, i) => k.symbols[(i * 7919) % k.symbols.length]!.address + 4n,
  );
  const t = performance.now();
  let found = 0;
  for (let i = 0; i < lookups; i++)
    if (k.table.lookupAddress(addrs[i & 1023]!) !== undefined) found++;
  const lookupMs = performance.now() - t;
  console.log(
    `${label}: ${k.symbols.length} symbols (${k.layout.kind}), image ${(image.length / 1048576).toFixed(1)} MiB: ` +
      `decode + table ${decode.toFixed(0)} ms (${(((k.symbols.length / decode) * 1000) / 1e6).toFixed(2)} M symbols/s); ` +
      `baseline /proc/kallsyms text → table ${baseline.toFixed(0)} ms; ratio ${(decode / baseline).toFixed(2)}; ` +
      `lookupAddress ${(((found / lookupMs) * 1000) / 1e6).toFixed(1)} M/s`,
  );
}

if (existsSync(IMAGE)) report(`Debian Image ${IMAGE}`, readFileSync(IMAGE));
else console.log(`(no Debian Image at ${IMAGE}: set AXEBPF_LINUX_IMAGE to bench it)`);
const symbols = fakeKernelSymbols(150_000, 0xffff_8000_0801_0000n);
const fake = buildFakeImage(symbols, {
  layout: 'linux-6.2',
  text: 0xffff_8000_0800_0000n,
  before: 16 << 20,
  after: 8 << 20,
});
report('synthetic 150,000 symbols in a 24 MiB image', fake.bytes);
