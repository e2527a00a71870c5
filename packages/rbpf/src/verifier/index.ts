// SPDX-License-Identifier: MIT
// Public API of the verifier (re-exported by the package index).

export { verify } from './verify.js';
export type { VerifyOptions, VerifyResult } from './verify.js';
export { VerifierError } from './errors.js';
export type { VerifierErrorCode } from './errors.js';
export { CONFORMANCE_HELPERS, LINUX_TRACING_HELPERS } from './program-types.js';
export type {
  ContextField,
  ContextLayout,
  HelperArgType,
  HelperReturnType,
  HelperSignature,
  MapInfo,
  ProgramType,
} from './program-types.js';
