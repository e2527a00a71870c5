// SPDX-License-Identifier: MIT
// A writer of the "newc" cpio format (SVR4 portable ASCII, magic 070701) that Linux unpacks as
// its initramfs (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a
// 110-byte header of thirteen 8-digit hex fields, the NUL-terminated name padded to 4 bytes,
// the data padded to 4 bytes; the archive ends with the entry "TRAILER!!!".

/** One archive member. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

/** An entry the writer cannot encode. */
export class CpioError extends Error {
  /** Machine-readable reason. */
  readonly code: 'BAD_PATH' | 'TOO_LARGE';
  /** Index of the entry in the list. */
  readonly index: number;
  /** @param code - reason. @param index - entry index. @param message - text. */
  constructor(code: 'BAD_PATH' | 'TOO_LARGE', index: number, message: string) {
    super(message);
    this.name = 'CpioError';
    this.code = code;
    this.index = index;
  }
}

const S_IFDIR = 0o040000,
  S_IFREG = 0o100000,
  S_IFLNK = 0o120000,
  S_IFCHR = 0o020000;
const enc = new TextEncoder();
const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, '0');

/**
 * Writes a newc archive (uid/gid 0, mtime 0: the same input always gives the same bytes).
 * @param entries - members in order (a directory before what it contains).
 * @returns the archive.
 * @throws {CpioError} `BAD_PATH` for an empty or absolute path or one with a NUL,
 * `TOO_LARGE` for a file of 4 GiB or more.
 */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
    const pad = (4 - (size % 4)) % 4;
    if (pad) {
      parts.push(new Uint8Array(pad));
      size += pad;
    }
  };
  const member = (
    ino: number,
    mode: number,
    nlink: number,
    data: Uint8Array,
    name: string,
    rdev: [number, number] = [0, 0],
  ) => {
    const nameBytes = enc.encode(`${name}\0`);
    const fields = [
      ino,
      mode,
      0,
      0,
      nlink,
      0,
      data.length,
      0,
      0,
      rdev[0],
      rdev[1],
      nameBytes.length - 0,
      0,
    ];
    push(new Uint8Array([...enc.encode('070701' + fields.map(hex8).join('')), ...nameBytes]));
    if (data.length > 0) push(data);
  };
  entries.forEach((e, i) => {
    const path = e.path.replace(/^\.\//, '');
    if (path === '' || path.startsWith('/') || path.includes('\0'))
      throw new CpioError(
        'BAD_PATH',
        i,
        `cpio entry ${i}: path ${JSON.stringify(e.path)} must be relative, non-empty and without NUL`,
      );
    const ino = i + 1;
    switch (e.kind) {
      case 'dir':
        member(ino, S_IFDIR | (e.mode ?? 0o755), 2, new Uint8Array(0), path);
        break;
      case 'file':
        if (e.data.length >= 2 ** 32)
          throw new CpioError(
            'TOO_LARGE',
            i,
            `cpio entry ${i} (${path}): ${e.data.length} bytes, newc holds less than 4 GiB`,
          );
        member(ino, S_IFREG | (e.mode ?? 0o644), 1, e.data, path);
        break;
      case 'symlink':
        member(ino, S_IFLNK | 0o777, 1, enc.encode(e.target), path);
        break;
      case 'chardev':
        member(ino, S_IFCHR | (e.mode ?? 0o600), 1, new Uint8Array(0), path, [e.major, e.minor]);
        break;
    }
  });
  member(0, 0, 1, new Uint8Array(0), 'TRAILER!!!');
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
