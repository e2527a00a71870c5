import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    symbols: 'src/features/symbols.ts',
    tracepoints: 'src/features/tracepoints.ts',
    runtime: 'src/features/ebpf-runtime.ts',
    precompiled: 'src/features/precompiled.ts',
    hprobe: 'src/features/hprobe.ts',
    testing: 'src/features/testing.ts',
    'guest-kprobe': 'src/features/guest-kprobe.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: false,
});
