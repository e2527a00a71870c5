// SPDX-License-Identifier: MIT
// @axebpf/axvisor-vmm: the simulated AxVisor. So far: the `vmm:*` tracepoint catalog and the
// exit reasons with their trace codes (the VMM itself is issue 11, not implemented yet).
export { VMM_EVENTS, VMM_EVENT_LIST } from './catalog.js';
export { EXIT_REASON_CODE, exitReasonName } from './exit-reason.js';
export type { ExitReasonName } from './exit-reason.js';
