// The public API the Linux tests use (one import list).
export { cells, node, writeFdt } from '../src/fdt.js';
export { GICD_BASE, VGicV2 } from '../src/gicv2.js';
export {
  HypervisorError,
  isLinuxImage,
  linuxLayout,
  linuxVmToml,
  parseLinuxImage,
  parseVmConfig,
  Pl011,
  vmDeviceTreeBlob,
  Vmm,
} from '../src/index.js';
