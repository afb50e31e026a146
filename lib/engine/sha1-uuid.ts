// UUIDv5 (RFC 9562 §5.5) for the engine's hot path. Every tag needs one; through node:crypto a
// short SHA-1 costs ≈ 2.6 µs (binding and Buffer overhead, measured by `npm run bench -- engine`),
// more than matching the event. This is a plain SHA-1 (FIPS 180-4) over preallocated buffers,
// ≈ 10x cheaper for names of a few dozen bytes. tag-id.test.ts checks it against the `uuid`
// package on ASCII, Unicode and multi-block names.

const W = new Int32Array(80);
let buf = new Uint8Array(256);
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => (i + 0x100).toString(16).slice(1));
const encoder = new TextEncoder();

function ensure(size: number): void {
  if (size > buf.length) {
    let n = buf.length;
    while (n < size) n *= 2;
    const next = new Uint8Array(n);
    next.set(buf.subarray(0, 16));
    buf = next;
  }
}

/** UUIDv5 string of `name` in the namespace whose 16 bytes are given. */
export function uuidv5Fast(namespace: Uint8Array, name: string): string {
  // Name bytes after the namespace: ASCII fast path, UTF-8 encoder otherwise.
  const nameLen = name.length;
  ensure(16 + nameLen * 3 + 72);
  buf.set(namespace, 0);
  let len = 16;
  let ascii = true;
  for (let i = 0; i < nameLen; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    buf[len++] = c;
  }
  if (!ascii) len = 16 + encoder.encodeInto(name, buf.subarray(16)).written;
  const bitLen = len * 8;
  // Padding: 0x80, zeros, 64-bit big-endian length; total a multiple of 64 bytes.
  const total = ((len + 8) >> 6) * 64 + 64;
  buf[len] = 0x80;
  buf.fill(0, len + 1, total);
  buf[total - 4] = (bitLen >>> 24) & 0xff;
  buf[total - 3] = (bitLen >>> 16) & 0xff;
  buf[total - 2] = (bitLen >>> 8) & 0xff;
  buf[total - 1] = bitLen & 0xff;

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  const b = buf;
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 16; t++) {
      const j = off + t * 4;
      W[t] = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!;
    }
    for (let t = 16; t < 80; t++) {
      const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
      W[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let bb = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // Four phases as separate loops: no per-round branching on the hot path.
    let t = 0;
    for (; t < 20; t++) {
      const temp = (((a << 5) | (a >>> 27)) + ((bb & c) | (~bb & d)) + e + 0x5a827999 + W[t]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = temp;
    }
    for (; t < 40; t++) {
      const temp = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + 0x6ed9eba1 + W[t]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = temp;
    }
    for (; t < 60; t++) {
      const temp = (((a << 5) | (a >>> 27)) + ((bb & c) | (bb & d) | (c & d)) + e - 0x70e44324 + W[t]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = temp;
    }
    for (; t < 80; t++) {
      const temp = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e - 0x359d3e2a + W[t]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + bb) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  // First 16 bytes of the digest; version 5 in byte 6, RFC variant in byte 8.
  const x = HEX;
  const b6 = (((h1 >>> 8) & 0xff) & 0x0f) | 0x50;
  const b8 = (((h2 >>> 24) & 0xff) & 0x3f) | 0x80;
  return (
    x[(h0 >>> 24) & 0xff]! + x[(h0 >>> 16) & 0xff]! + x[(h0 >>> 8) & 0xff]! + x[h0 & 0xff]! + "-" +
    x[(h1 >>> 24) & 0xff]! + x[(h1 >>> 16) & 0xff]! + "-" + x[b6]! + x[h1 & 0xff]! + "-" +
    x[b8]! + x[(h2 >>> 16) & 0xff]! + "-" + x[(h2 >>> 8) & 0xff]! + x[h2 & 0xff]! +
    x[(h3 >>> 24) & 0xff]! + x[(h3 >>> 16) & 0xff]! + x[(h3 >>> 8) & 0xff]! + x[h3 & 0xff]!
  );
}
