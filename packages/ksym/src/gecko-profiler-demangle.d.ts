// SPDX-License-Identifier: MIT
// Types of the wasm-bindgen glue module of gecko-profiler-demangle 0.4.0 (it ships none).
declare module 'gecko-profiler-demangle/index_bg.js' {
  export function __wbg_set_wasm(exports: unknown): void;
  export function demangle_any(name: string): string;
}
