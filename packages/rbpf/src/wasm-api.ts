// SPDX-License-Identifier: MIT
// The few WebAssembly JS API types this package uses. TypeScript declares them only in the DOM
// library; declaring them here keeps the package's types free of `lib: ["DOM"]`.

/** A `WebAssembly.Memory`. */
export interface WasmMemory {
  /** The current buffer (detached when the memory grows). */
  readonly buffer: ArrayBuffer;
  /**
   * @param delta - pages of 64 KiB to add.
   * @returns the previous size in pages.
   */
  grow(delta: number): number;
}

/** A compiled `WebAssembly.Module`. */
export type WasmModule = object;

/** An instantiated `WebAssembly.Instance`. */
export interface WasmInstance {
  /** The module's exports. */
  readonly exports: Record<string, unknown>;
}

interface WasmNamespace {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => WasmInstance;
  RuntimeError: new (message?: string) => Error;
}

/** The host's `WebAssembly` namespace. @internal */
export const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;
