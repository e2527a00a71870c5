// SPDX-License-Identifier: MIT
// A test event layout and a record builder (aya-style fixtures built in code).
import type { FilterField } from '../src/index.js';

export const FIELDS: FilterField[] = [
  { name: 'common_type', kind: 'integer', offset: 0, size: 2, signed: false },
  { name: 'common_flags', kind: 'integer', offset: 2, size: 1, signed: false },
  { name: 'common_preempt_count', kind: 'integer', offset: 3, size: 1, signed: false },
  { name: 'common_pid', kind: 'integer', offset: 4, size: 4, signed: true },
  { name: 'sig', kind: 'integer', offset: 8, size: 4, signed: true },
  { name: 'flags', kind: 'integer', offset: 12, size: 4, signed: false },
  { name: 'big', kind: 'integer', offset: 16, size: 8, signed: false },
  { name: 'neg', kind: 'integer', offset: 24, size: 8, signed: true },
  { name: 'comm', kind: 'char-array', offset: 32, size: 16, signed: false },
  { name: 'ok', kind: 'integer', offset: 48, size: 1, signed: false, isBool: true },
  { name: 'small', kind: 'integer', offset: 49, size: 1, signed: true },
  { name: 'port', kind: 'integer', offset: 50, size: 2, signed: false },
  { name: 'path', kind: 'dynamic-string', offset: 52, size: 4, signed: false },
];

export interface RecordValues {
  sig?: number;
  flags?: number;
  big?: bigint;
  neg?: bigint;
  comm?: string;
  ok?: boolean;
  small?: number;
  port?: number;
  path?: string;
  pid?: number;
}

const enc = new TextEncoder();

export function makeRecord(r: RecordValues): Uint8Array {
  const path = enc.encode(r.path ?? '');
  const bytes = new Uint8Array(56 + path.length + 1);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 7, true);
  v.setInt32(4, r.pid ?? 1, true);
  v.setInt32(8, r.sig ?? 0, true);
  v.setUint32(12, r.flags ?? 0, true);
  v.setBigUint64(16, r.big ?? 0n, true);
  v.setBigInt64(24, r.neg ?? 0n, true);
  bytes.set(enc.encode(r.comm ?? '').subarray(0, 15), 32);
  v.setUint8(48, r.ok === true ? 1 : 0);
  v.setInt8(49, r.small ?? 0);
  v.setUint16(50, r.port ?? 0, true);
  bytes.set(path, 56);
  v.setUint32(52, ((path.length + 1) << 16) | 56, true);
  return bytes;
}
