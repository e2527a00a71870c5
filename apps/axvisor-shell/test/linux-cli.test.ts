// `axvisor run --kernel IMAGE --initrd ...`: the Linux guest options, spawned as a user runs them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const axvisor = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

/**
 * A tiny arm64 "kernel" in Image format: it stores x0 (the DTB address the boot protocol gives
 * it) nowhere, prints "K" on the PL011 and calls PSCI SYSTEM_OFF over HVC.
 */
function tinyImage(): Uint8Array {
  const b = new Uint8Array(0x1000);
  const dv = new DataView(b.buffer);
  const code = [
    0xd2a12001, // movz x1, #0x0900, lsl #16      (UART base)
    0x52800962, // movz w2, #'K'
    0xb9000022, // str w2, [x1]
    0x52800103, // movz w3, #8
    0x72b08003, // movk w3, #0x8400, lsl #16      (PSCI SYSTEM_OFF)
    0x2a0303e0, // mov w0, w3
    0xd4000002, // hvc #0
  ];
  // the header's code0/code1 would branch past it; here the code starts at 0x40
  dv.setUint32(0, 0x14000010, true); // b #0x40
  code.forEach((w, i) => dv.setUint32(0x40 + 4 * i, w, true));
  dv.setBigUint64(16, 0x1000n, true); // image_size
  dv.setBigUint64(24, 0xan, true); // LE, 4K, anywhere
  dv.setUint32(0x38, 0x644d5241, true); // "ARM\x64"
  return b;
}

describe.skipIf(!built)('axvisor run --kernel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axvisor-linux-'));
  const image = join(dir, 'Image');
  writeFileSync(image, tinyImage());
  writeFileSync(join(dir, 'initrd.gz'), new Uint8Array([0x1f, 0x8b]));

  it('boots an Image as VM 1 with the options as its config, and the guest powers off through PSCI', () => {
    const r = axvisor([
      'run',
      '--kernel',
      image,
      '--initrd',
      join(dir, 'initrd.gz'),
      '--cpus',
      '2',
      '--mem',
      '64M',
      '--append',
      'console=ttyAMA0 quiet',
      '--exec',
      'run 1ms; vm list; vm console 1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vm1\s+linux\s+Stopped/);
    expect(r.stdout).toMatch(/^K$/m); // the guest's one character, from `vm console 1`
  });

  it('rejects a bad --mem, --initrd without --kernel, and a file that is no Image', () => {
    expect(axvisor(['run', '--kernel', image, '--mem', '3M', '--exec', 'vm list']).stderr).toMatch(
      /multiple of 2M/,
    );
    expect(axvisor(['run', '--initrd', image, '--exec', 'vm list']).stderr).toMatch(
      /--initrd and --dtb need --kernel/,
    );
    writeFileSync(join(dir, 'junk'), new Uint8Array(100));
    const r = axvisor(['run', '--kernel', join(dir, 'junk'), '--exec', 'vm list']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no arm64 Image magic at byte 0x38 \(found 0x0\), not an ELF either/);
  });

  it('demo --linux without the images says how to get them; --images needs --linux', () => {
    const r = axvisor(['demo', '--linux', '--images', join(dir, 'nowhere')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${join(dir, 'nowhere', 'Image')} is missing: run tools/linux-guest/fetch-images.sh`,
    );
    const s = axvisor(['demo', '--images', dir]);
    expect(s.status).toBe(2); // a usage error (the CLIs' exit-code convention)
    expect(s.stderr).toContain('--images needs --linux');
  });
});
