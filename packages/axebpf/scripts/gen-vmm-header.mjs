#!/usr/bin/env node
// Writes programs/include/vmm_tracepoints.h: the record structs of the vmm:* tracepoints, from the
// catalog in @axebpf/axvisor-vmm (run after `pnpm build`).
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCHeader } from '@axebpf/tracepoint';
import { VMM_EVENT_LIST } from '@axebpf/axvisor-vmm';

const out = join(dirname(fileURLToPath(import.meta.url)), '../programs/include/vmm_tracepoints.h');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, generateCHeader(VMM_EVENT_LIST, { guard: '__AXEBPF_VMM_TRACEPOINTS_H__' }));
console.log(`wrote ${out}`);
