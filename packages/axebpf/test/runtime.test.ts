import { describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineFeature,
  FeatureError,
  MockPlatform,
  type Feature,
  type FeatureName,
} from '../src/index.js';

const ALL: FeatureName[] = [
  'symbols',
  'tracepoints',
  'runtime',
  'precompiled',
  'hprobe',
  'guest-kprobe',
  'testing',
];

// The Cargo implications of Iscreamx/axebpf, restated independently of FEATURE_REQUIRES:
// tracepoint-support => symbols; hprobe => tracepoint-support; guest-kprobe => hprobe;
// precompiled needs the runtime that loads it.
const IMPLIES: [FeatureName, FeatureName][] = [
  ['tracepoints', 'symbols'],
  ['hprobe', 'tracepoints'],
  ['guest-kprobe', 'hprobe'],
  ['precompiled', 'runtime'],
];

function probe(name: FeatureName, log: string[] = []): Feature {
  return defineFeature({
    name,
    key: name.replace('-k', 'K'),
    requires: [],
    setup: (ctx) => {
      log.push(`setup ${name}`);
      return { api: { name, platform: ctx.platform }, dispose: () => log.push(`dispose ${name}`) };
    },
  });
}

describe('createRuntime feature implications', () => {
  it('accepts exactly the 128 feature subsets whose implications hold, naming what is missing otherwise', () => {
    let accepted = 0;
    for (let mask = 0; mask < 1 << ALL.length; mask++) {
      const chosen = ALL.filter((_, i) => mask & (1 << i));
      const missing = IMPLIES.filter(([a, b]) => chosen.includes(a) && !chosen.includes(b));
      const build = () => createRuntime({ features: chosen.map((n) => probe(n)) });
      if (missing.length === 0) {
        const rt = build();
        expect([...rt.features].sort()).toEqual([...chosen].sort());
        accepted++;
      } else {
        let caught: unknown;
        try {
          build();
        } catch (error) {
          caught = error;
        }
        expect(FeatureError.isInstance(caught)).toBe(true);
        const err = caught as FeatureError;
        expect(err.code).toBe('MISSING_FEATURE');
        // The first feature (in the caller's order) with an unmet implication is reported.
        const first = chosen.find((n) => missing.some(([a]) => a === n))!;
        expect(err.feature).toBe(first);
        expect(err.missing).toEqual(missing.filter(([a]) => a === first).map(([, b]) => b));
      }
    }
    // symbols/tracepoints/hprobe/guest-kprobe form a chain (5 valid states), runtime/precompiled
    // 3 valid states, testing 2: 5 * 3 * 2.
    expect(accepted).toBe(30);
  });

  it('names the subpath to import in the error message', () => {
    expect(() => createRuntime({ features: [probe('hprobe')] })).toThrow(/axebpf\/tracepoints/);
  });

  it('rejects a feature passed twice', () => {
    try {
      createRuntime({ features: [probe('symbols'), probe('symbols')] });
      expect.unreachable();
    } catch (error) {
      expect(FeatureError.isInstance(error) && error.code).toBe('DUPLICATE_FEATURE');
    }
  });

  it('sets features up in dependency order and disposes them in reverse', () => {
    const log: string[] = [];
    const rt = createRuntime({
      features: [probe('hprobe', log), probe('tracepoints', log), probe('symbols', log)],
    });
    expect(log).toEqual(['setup symbols', 'setup tracepoints', 'setup hprobe']);
    rt.dispose();
    rt.dispose();
    expect(log.slice(3)).toEqual(['dispose hprobe', 'dispose tracepoints', 'dispose symbols']);
  });

  it('lets a feature use the API of a feature it requires, and refuses one it lacks', () => {
    const seen: unknown[] = [];
    const needy = defineFeature({
      name: 'tracepoints',
      key: 'tracepoints',
      requires: [],
      setup: (ctx) => {
        seen.push(ctx.use('symbols'));
        expect(() => ctx.use('hprobe')).toThrow(FeatureError);
        return { api: 1 };
      },
    });
    createRuntime({ features: [needy, probe('symbols')] });
    expect(seen).toEqual([{ name: 'symbols', platform: expect.any(MockPlatform) }]);
  });

  it('keeps runtimes independent: no shared registries', () => {
    const a = createRuntime({ features: [] });
    const b = createRuntime({ features: [] });
    a.events.emit({
      timestampNs: 1n,
      probeType: 'tracepoint',
      cpuId: 0,
      vmId: 1,
      eventId: 1,
      name: 'x',
    });
    a.stats.record('x', 1n, 5);
    expect(b.events.stats().emitted).toBe(0);
    expect(b.stats.all()).toEqual([]);
    expect(a.platform).not.toBe(b.platform);
  });

  it('disposes features already set up when a later setup throws', () => {
    const log: string[] = [];
    const broken = defineFeature({
      name: 'tracepoints',
      key: 't',
      requires: [],
      setup: () => {
        throw new Error('boom');
      },
    });
    expect(() => createRuntime({ features: [probe('symbols', log), broken] })).toThrow('boom');
    expect(log).toEqual(['setup symbols', 'dispose symbols']);
  });
});
