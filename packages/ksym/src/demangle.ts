// SPDX-License-Identifier: MIT
// Display names: Rust legacy (`_ZN…17h<hash>E`), Rust v0 (`_R…`) and C++ Itanium (`_Z…`)
// demangling through gecko-profiler-demangle (rustc-demangle + cpp_demangle compiled to WASM).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
// The package is a wasm-bindgen "bundler" build: its index.js imports the .wasm file, which
// Node 20 cannot do, so the glue module is imported and the WASM instantiated here.
import * as glue from 'gecko-profiler-demangle/index_bg.js';

let ready = false;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
// The ES2022 lib has no WebAssembly values; Node 20 has them.
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function load(): void {
  const require = createRequire(import.meta.url);
  const path = require.resolve('gecko-profiler-demangle/index_bg.wasm');
  const instance = new wasmApi.Instance(new wasmApi.Module(readFileSync(path)), {
    './index_bg.js': glue,
  });
  glue.__wbg_set_wasm(instance.exports);
  const start = instance.exports['__wbindgen_start'];
  if (typeof start === 'function') (start as () => void)();
  ready = true;
}

/**
 * Tells whether a name looks mangled (Itanium C++ / Rust legacy `_Z…`, Rust v0 `_R…`, or the
 * same with the extra leading underscore of Mach-O).
 * @param name - a symbol name.
 * @returns true when {@link demangle} may change it.
 */
export function isMangled(name: string): boolean {
  return /^_{1,2}[ZR][A-Za-z0-9_]/.test(name);
}

/**
 * Returns the display form of a symbol name: Rust legacy names without their hash
 * (`core::ptr::drop_in_place<…>`), Rust v0 names (`mycrate::foo`) and C++ names
 * (`std::vector<int, std::allocator<int> >::push_back(int const&)`); any other name, or a name
 * the demanglers reject, is returned unchanged.
 *
 * @param name - the name as linked.
 * @returns the demangled name, or `name`.
 * @remarks The WASM demangler (about 0.5 MB) is instantiated synchronously on the first call
 *   with a mangled-looking name. Upstream Starry-OS/ksym once demangled only `_ZN` names at
 *   build time and stored the result; this package keeps the mangled name in the table (exact
 *   lookups work on it) and demangles for display.
 * @example
 * ```ts
 * demangle('_RNvCs1234_7mycrate3foo'); // 'mycrate::foo'
 * ```
 */
export function demangle(name: string): string {
  if (!isMangled(name)) return name;
  if (!ready) load();
  let out: string;
  try {
    out = glue.demangle_any(name);
  } catch {
    return name;
  }
  // The demangler strips the leading underscore of a name it could not parse (`_ZZ` -> `ZZ`).
  if (out === '' || out === name.slice(1)) return name;
  return out;
}
