import { constants, crc32, deflateRawSync } from "node:zlib";

/** One entry of a hand-made zip: every field the reader checks can be set to a lie. */
export interface RawZipEntry {
  name: string;
  /** The entry's data as stored in the archive (already deflated when method is 8). */
  data: Uint8Array;
  method: 0 | 8;
  /** Declared uncompressed size (central directory and local header). */
  size: number;
  crc: number;
  /** Name in the local header; default `name`. */
  localName?: string;
  /** Sizes and CRC only in the central directory (flag bit 3; a data descriptor follows the data). */
  dataDescriptor?: boolean;
  /** Where the central directory says the local header is; default: where it was written. */
  localOffset?: number;
}

/** An honest deflated entry of `content` (text or bytes). */
export function zipEntry(name: string, content: string | Uint8Array, method: 0 | 8 = 8): RawZipEntry {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return { name, data: method === 8 ? deflateRawSync(bytes) : bytes, method, size: bytes.length, crc: crc32(bytes) >>> 0 };
}

/**
 * Raw deflate data of `mib` MiB of zeros without allocating them: one flushed (byte-aligned,
 * dictionary reset) block of 1 MiB repeated, then an empty final block. About 1 KiB per MiB.
 */
export function deflatedZeros(mib: number): { data: Uint8Array; crc: number; size: number } {
  const one = new Uint8Array(1024 * 1024);
  const block = deflateRawSync(one, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const end = deflateRawSync(new Uint8Array(0));
  const data = new Uint8Array(block.length * mib + end.length);
  let crc = 0;
  for (let i = 0; i < mib; i++) {
    data.set(block, i * block.length);
    crc = crc32(one, crc);
  }
  data.set(end, block.length * mib);
  return { data, crc: crc >>> 0, size: mib * 1024 * 1024 };
}

/** A zip archive of `entries` in this order, with their declared fields as given (version 2.0, no ZIP64). */
export function buildZip(entries: RawZipEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const localName = enc.encode(e.localName ?? e.name);
    const flags = 0x800 | (e.dataDescriptor ? 0x8 : 0);
    const local = new Uint8Array(30 + localName.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, e.method, true);
    lv.setUint32(14, e.dataDescriptor ? 0 : e.crc, true);
    lv.setUint32(18, e.dataDescriptor ? 0 : e.data.length, true);
    lv.setUint32(22, e.dataDescriptor ? 0 : e.size, true);
    lv.setUint16(26, localName.length, true);
    local.set(localName, 30);
    const descriptor = new Uint8Array(e.dataDescriptor ? 16 : 0);
    if (e.dataDescriptor) {
      const dv = new DataView(descriptor.buffer);
      dv.setUint32(0, 0x08074b50, true);
      dv.setUint32(4, e.crc, true);
      dv.setUint32(8, e.data.length, true);
      dv.setUint32(12, e.size, true);
    }
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, e.method, true);
    cv.setUint32(16, e.crc, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, e.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, e.localOffset ?? offset, true);
    cd.set(name, 46);
    central.push(cd);
    parts.push(local, e.data, descriptor);
    offset += local.length + e.data.length + descriptor.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
