// C programs with FP/SIMD code vs qemu-aarch64: the integer corpus auto-vectorised at -O3 and
// the FP, vector and crypto (ACLE intrinsics) programs of test/simd-programs (scripts/build-simd-corpus.sh builds them
// and records qemu's stdout, exit status and exact instruction count in golden.json); and a
// static glibc program (glibc's string functions use Advanced SIMD, printf formats doubles),
// built and compared with a live qemu-aarch64 when the cross compiler and qemu are installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runLinuxProgram } from '../src/index.js';
import { hasTool } from '@axebpf/test-utils/tools';
import { runProgramFile } from './run-program.js';
import { useTier } from './tiers.js';

const dir = join(import.meta.dirname, 'simd-programs');
const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Record<
  string,
  { stdout: string; status: number; insns: number }
>;
const files = readdirSync(join(dir, 'bin'))
  .filter((f) => f.endsWith('.elf'))
  .sort();
const canBuild = hasTool('aarch64-linux-gnu-gcc') && hasTool('qemu-aarch64');

const run = runProgramFile;

describe('FP/SIMD corpus on the WebAssembly tier (every block compiled at once)', () => {
  useTier('wasm');
  for (const f of files) {
    it(`${f}: same stdout, exit status and instruction count`, () => {
      expect(run(join(dir, 'bin', f))).toEqual(golden[f]);
    }, 120_000);
  }
});

describe('FP/SIMD corpus vs qemu-aarch64 (golden)', () => {
  it('has the corpus: 8 auto-vectorised programs and fp/vec/vec2/crypto at -O2 and -O3, each with a golden result', () => {
    expect(files.length).toBe(16);
    expect(files.filter((f) => golden[f] === undefined)).toEqual([]);
  });
  for (const f of files) {
    it(`${f}: same stdout, exit status and instruction count`, () => {
      expect(run(join(dir, 'bin', f))).toEqual(golden[f]);
    }, 120_000);
  }
  it('the -O3 builds do use Advanced SIMD (vector registers in their code)', () => {
    // a sample: vec-O3 has q-register loads and vector adds; fp-O2 has fused multiply-adds
    const words = (f: string): Uint32Array => {
      const b = readFileSync(join(dir, 'bin', f));
      return new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.length & ~3)));
    };
    const isVectorOp = (w: number): boolean =>
      (w & 0x9f000000) === 0x0e000000 || (w & 0x9f000000) === 0x4e000000; // 0Q0 01110...
    const isFmadd = (w: number): boolean =>
      (w & 0xff208000) === 0x1f000000 || (w & 0xff208000) === 0x1f400000;
    expect([...words('vec-O3.elf')].filter(isVectorOp).length).toBeGreaterThan(50);
    expect([...words('fp-O2.elf')].filter(isFmadd).length).toBeGreaterThan(2);
  });
  it('crypto.c runs AES, SHA-1, SHA-256 and PMULL instructions and meets its known answers (exit 0)', () => {
    // AESE/AESD/AESMC/AESIMC, SHA1*/SHA256* and PMULL{2} 1Q: the Cryptographic Extension's words
    const cryptoOp = (w: number): string | undefined => {
      const opc = (w >>> 12) & 31;
      if ((w & 0xfffe0c00) >>> 0 === 0x4e280800) return `aes${opc}`;
      if ((w & 0xffe08c00) >>> 0 === 0x5e000000) return `sha3reg${opc & 7}`;
      if ((w & 0xfffe0c00) >>> 0 === 0x5e280800) return `sha2reg${opc}`;
      if ((w & 0xbfe0fc00) >>> 0 === 0x0ee0e000) return 'pmull1q';
      return undefined;
    };
    for (const f of ['crypto-O2.elf', 'crypto-O3.elf']) {
      const b = readFileSync(join(dir, 'bin', f));
      const words = new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.length & ~3)));
      const ops = new Set([...words].map(cryptoOp).filter((o) => o !== undefined));
      // AESE/D/MC/IMC, SHA1C/P/M/SU0, SHA256H/H2/SU1, SHA1H/SU1, SHA256SU0, PMULL 1Q
      expect(ops.size).toBe(15);
      expect(golden[f]!.status).toBe(0); // qemu: no known-answer mismatch
      const out = Buffer.from(golden[f]!.stdout, 'base64').toString();
      expect(out).toContain('aes128.ct.hi=0x69c4e0d86a7b0430\n');
      expect(out).toContain('sha256.abc.0=0xba7816bf8f01cfea\n');
      expect(out).not.toContain('MISMATCH');
    }
  });
});

describe.skipIf(!canBuild)('static glibc program vs live qemu-aarch64', () => {
  it('glibc.c (memcpy/memset/strlen/strchr/memchr/strcmp, printf and strtod of doubles, libm): same stdout and exit status', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'glibc-'));
    try {
      const elf = join(tmp, 'glibc.elf');
      const cc = spawnSync('aarch64-linux-gnu-gcc', [
        '-O2',
        '-static',
        '-o',
        elf,
        join(dir, 'glibc.c'),
        '-lm',
      ]);
      if (cc.status !== 0) throw new Error(String(cc.stderr));
      const q = spawnSync('qemu-aarch64', [elf]);
      const mine = run(elf);
      expect(Buffer.from(mine.stdout, 'base64').toString()).toBe(q.stdout.toString());
      expect(mine.status).toBe(q.status);
      expect(q.stdout.toString()).toContain('3.1415926535897931');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);
});

// Debian's static busybox (glibc inside), unpacked for development only (never committed)
const BUSYBOX = fileURLToPath(new URL('../../../tools/linux-guest/out/busybox', import.meta.url));
describe.skipIf(!existsSync(BUSYBOX))('Debian static busybox in user mode (image present)', () => {
  it('runs the uname and echo applets through glibc start-up (SIMD string functions) like Linux', () => {
    for (const [applet, text] of [
      ['uname', 'Linux\n'],
      ['echo', '\n'],
    ] as const) {
      const out: string[] = [];
      const r = runLinuxProgram(readFileSync(BUSYBOX), {
        argv0: applet,
        output: (fd, b) => {
          if (fd === 1) out.push(Buffer.from(b).toString());
        },
      });
      expect(r.exitCode).toBe(0);
      expect(out.join('')).toBe(text);
    }
  }, 120_000);
});
