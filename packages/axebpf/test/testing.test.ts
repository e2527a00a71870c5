import { describe, expect, it } from 'vitest';
import { createRuntime, FeatureError, HostPlatform, MockPlatform } from '../src/index.js';
import { ebpfRuntime } from '../src/features/ebpf-runtime.js';
import { symbols } from '../src/features/symbols.js';
import { testing } from '../src/features/testing.js';
import { tracepoints } from '../src/features/tracepoints.js';

describe('testing', () => {
  it('drives the mock platform, fires tracepoints and runs assembled programs', () => {
    const rt = createRuntime({
      features: [symbols(), tracepoints(), ebpfRuntime(), testing()] as const,
      platform: new MockPlatform(),
    });
    rt.testing.platform.setContext({ vmId: 3, vcpuId: 1, exitReason: 2 });
    expect(rt.testing.runAsm('call 100\nexit')).toBe(3n);
    expect(rt.testing.runAsm('ldxb %r0, [%r1+1]\nexit', new Uint8Array([5, 6]))).toBe(6n);
    expect(rt.ebpf.programs()).toEqual([]); // unloaded after the run
    const seen: number[] = [];
    rt.testing.tracepoint('test', 'tick', [['n', 'u32']]);
    rt.tracepoints.attach('test:tick', (r) => seen.push(Number(r.field('n'))));
    rt.testing.fire('test:tick', 7);
    rt.testing.fire('test:tick', 8);
    expect(seen).toEqual([7, 8]);
    expect(() => rt.testing.fire('test:nope')).toThrowError(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  it('says which feature or platform is missing', () => {
    const bare = createRuntime({ features: [testing()] as const, platform: new HostPlatform() });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return FeatureError.isInstance(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => bare.testing.platform)).toBe('INVALID_ARGUMENT');
    expect(code(() => bare.testing.fire('a:b'))).toBe('MISSING_FEATURE');
    expect(code(() => bare.testing.runAsm('exit'))).toBe('MISSING_FEATURE');
  });
});
