import { describe, expectTypeOf, it } from 'vitest';
import { createRuntime, defineFeature, type RuntimeCore } from '../src/index.js';

interface SymbolsApi {
  lookup(addr: bigint): string;
}
interface TracepointsApi {
  enable(name: string): boolean;
}
const symbolsLike = defineFeature<'symbols', 'symbols', SymbolsApi>({
  name: 'symbols',
  key: 'symbols',
  requires: [],
  setup: () => ({ api: { lookup: (_addr: bigint) => 'sym' } }),
});
const tracepointsLike = defineFeature<'tracepoints', 'tracepoints', TracepointsApi>({
  name: 'tracepoints',
  key: 'tracepoints',
  requires: ['symbols'],
  setup: () => ({ api: { enable: (_name: string) => true } }),
});

describe('Runtime type', () => {
  it('has exactly the APIs of the features passed', () => {
    const rt = createRuntime({ features: [symbolsLike, tracepointsLike] });
    expectTypeOf(rt.symbols).toEqualTypeOf<SymbolsApi>();
    expectTypeOf(rt.tracepoints).toEqualTypeOf<TracepointsApi>();
    expectTypeOf(rt).toMatchTypeOf<RuntimeCore>();
  });

  it('has no API for a feature that was not passed', () => {
    const rt = createRuntime({ features: [symbolsLike] });
    expectTypeOf(rt).not.toHaveProperty('tracepoints');
    expectTypeOf(rt).toHaveProperty('symbols');
  });

  it('is only the core with no features', () => {
    const rt = createRuntime({ features: [] });
    expectTypeOf(rt).toEqualTypeOf<RuntimeCore>();
  });
});
