// The compile tiers the suites run on: vitest hooks that make every machine created inside a
// `describe` compile its blocks to JavaScript or to WebAssembly, and put the defaults back after.
import { afterAll, beforeAll } from 'vitest';
import { Cpu, PhysicalMemory } from '../src/index.js';

/** The two compile tiers. */
export const TIERS = ['js', 'wasm'] as const;
/** A compile tier. */
export type Tier = (typeof TIERS)[number];

/**
 * Registers hooks in the current `describe`: every CPU created there compiles a block after
 * `threshold` executions, to JavaScript (`'js'`: no arena) or to WebAssembly (`'wasm'`: every
 * memory with an arena, each region compiled at once).
 * @param tier - the tier.
 * @param threshold - executions before compilation.
 */
export function useTier(tier: Tier, threshold = 0): void {
  beforeAll(() => {
    Cpu.defaultJitThreshold = threshold;
    Cpu.defaultWasmThreshold = threshold;
    Cpu.defaultWasmBatch = 1;
    PhysicalMemory.defaultArenaBytes = tier === 'wasm' ? 96 << 20 : undefined;
  });
  afterAll(() => {
    Cpu.defaultJitThreshold = 16;
    Cpu.defaultWasmThreshold = 256;
    Cpu.defaultWasmBatch = 16;
    PhysicalMemory.defaultArenaBytes = undefined;
  });
}
