// SPDX-License-Identifier: MIT
// Test helper: writes a blob in the Starry-OS/ksym layout from raw parts, so tests can build
// blobs the builder never makes (upstream's token id 511, corrupt fields).

export interface RawBlob {
  addresses: bigint[];
  /** Full records: type, u16 length, payload. */
  records: Uint8Array[];
  seqs: number[];
  tokens: Uint8Array[];
}

export function record(type: string, payload: number[] | Uint8Array): Uint8Array {
  const p = Uint8Array.from(payload);
  return Uint8Array.from([type.charCodeAt(0), p.length & 0xff, p.length >> 8, ...p]);
}

export const ascii = (s: string): number[] => Array.from(new TextEncoder().encode(s));

export function writeRawBlob(raw: RawBlob): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number): void => {
    out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  };
  const u64 = (v: bigint): void => {
    for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn));
  };
  const align = (a: number): void => {
    while (out.length % a !== 0) out.push(0);
  };
  u64(BigInt(raw.addresses.length));
  align(8);
  raw.addresses.forEach(u64);
  align(4);
  let off = 0;
  for (const r of raw.records) {
    u32(off);
    off += r.length;
  }
  align(4);
  raw.seqs.forEach(u32);
  align(8);
  u64(BigInt(off));
  for (const r of raw.records) out.push(...r);
  align(8);
  u64(BigInt(raw.tokens.reduce((s, t) => s + t.length, 0)));
  for (const t of raw.tokens) out.push(...t);
  align(8);
  u64(BigInt(raw.tokens.length));
  align(4);
  let t0 = 0;
  for (const t of raw.tokens) {
    u32(t0);
    t0 += t.length;
  }
  return Uint8Array.from(out);
}
