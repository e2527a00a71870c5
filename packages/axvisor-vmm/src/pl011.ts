// SPDX-License-Identifier: MIT
// The PL011 UART of a VM (ARM PrimeCell UART PL011 TRM, DDI 0183): transmit to the VM's
// console, an always-empty receive FIFO, the interrupt registers (IMSC/RIS/MIS/ICR) driving an
// SPI, and the PrimeCell identification registers that Linux's AMBA bus reads before it binds
// the amba-pl011 driver. Characters leave at once, so the transmit FIFO is never full and the
// transmit interrupt is raised after every character (as QEMU's pl011 does).

import type { MmioDevice } from '@axebpf/aarch64-emu';

/** Register offsets. */
const DR = 0x000,
  RSR = 0x004,
  FR = 0x018,
  ILPR = 0x020,
  IBRD = 0x024,
  FBRD = 0x028,
  LCR_H = 0x02c,
  CR = 0x030,
  IFLS = 0x034,
  IMSC = 0x038,
  RIS = 0x03c,
  MIS = 0x040,
  ICR = 0x044,
  DMACR = 0x048;
/** FR bits: TXFE (transmit FIFO empty) and RXFE (receive FIFO empty). */
const FR_TXFE = 0x80,
  FR_RXFE = 0x10;
/** Interrupt bit of the transmitter. */
const INT_TX = 0x20;
/** PeriphID0-3 (part 0x011, designer ARM 0x41, revision r1p5) then CellID0-3, at 0xfe0..0xffc. */
const ID_REGS = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/** A PL011 UART. */
export class Pl011 implements MmioDevice {
  readonly #put: (byte: number) => void;
  readonly #irq: (level: boolean) => void;
  #ris = 0;
  #imsc = 0;
  #level = false;
  readonly #regs = new Map<number, number>([
    [IBRD, 0],
    [FBRD, 0],
    [LCR_H, 0],
    [CR, 0x300],
    [IFLS, 0x12],
    [ILPR, 0],
    [DMACR, 0],
  ]);

  /**
   * @param put - receives each transmitted byte.
   * @param irq - sets the level of the UART's interrupt line (none: polled only).
   */
  constructor(put: (byte: number) => void, irq: (level: boolean) => void = () => undefined) {
    this.#put = put;
    this.#irq = irq;
  }

  /** The interrupt line's level (masked interrupt status not zero). */
  get irqLevel(): boolean {
    return this.#level;
  }

  /** @inheritdoc */
  read(offset: number): bigint {
    if (offset >= 0xfe0 && offset < 0x1000) return BigInt(ID_REGS[(offset - 0xfe0) >> 2]!);
    switch (offset) {
      case DR:
        return 0n; // nothing received
      case RSR:
        return 0n;
      case FR:
        return BigInt(FR_TXFE | FR_RXFE);
      case IMSC:
        return BigInt(this.#imsc);
      case RIS:
        return BigInt(this.#ris);
      case MIS:
        return BigInt(this.#ris & this.#imsc);
      default:
        return BigInt(this.#regs.get(offset) ?? 0);
    }
  }

  /** @inheritdoc */
  write(offset: number, _size: number, value: bigint): void {
    const v = Number(value & 0xffffn);
    switch (offset) {
      case DR:
        this.#put(v & 0xff);
        this.#ris |= INT_TX;
        break;
      case RSR:
        break; // error clear
      case IMSC:
        this.#imsc = v & 0x7ff;
        break;
      case ICR:
        this.#ris &= ~v;
        break;
      default:
        if (this.#regs.has(offset)) this.#regs.set(offset, v);
    }
    this.#update();
  }

  #update(): void {
    const level = (this.#ris & this.#imsc) !== 0;
    if (level !== this.#level) {
      this.#level = level;
      this.#irq(level);
    }
  }
}
