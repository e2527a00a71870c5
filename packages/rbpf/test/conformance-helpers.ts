// Shared setup for running bpf_conformance cases: the helpers the suite expects.
import { HelperTable } from '../src/index.js';

/**
 * Helpers of the conformance suite: 5 returns its first argument; 0 packs the low bytes of its
 * five arguments as `(a<<32)|(b<<24)|(c<<16)|(d<<8)|e`.
 */
export function conformanceHelpers(): HelperTable {
  return new HelperTable()
    .register(0, 'gather_bytes', (c) => (BigInt(c.u32(1) & 0xff) << 32n) | BigInt((((c.u32(2) & 0xff) << 24) | ((c.u32(3) & 0xff) << 16) | ((c.u32(4) & 0xff) << 8) | (c.u32(5) & 0xff)) >>> 0))
    .register(5, 'identity', (c) => c.u64(1));
}
