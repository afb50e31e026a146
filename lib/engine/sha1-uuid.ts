// UUIDv5 (RFC 9562 §5.5) for the engine's hot path: every tag needs one, so SHA-1 (FIPS 180-4)
// of a short name must cost little next to matching the event. node:crypto is no help here: its
// per-call overhead (createHash ≈ 1.2–2.5 µs, crypto.hash ≈ 0.9 µs for a 50-byte name, measured
// on the bench machine) dwarfs the ≈ 0.1 µs one 64-byte block takes in JS.
//
// So this is a plain SHA-1 over preallocated buffers:
// - names are written as UTF-8 straight into a byte scratch (ASCII fast path, TextEncoder for the
//   rest, no Buffer), packed into big-endian words;
// - the compression function is fully unrolled with the message schedule in 16 locals;
// - Uuidv5Builder keeps the namespace words packed; the engine writes `<source_kind>|<source_id>`
//   once per event as a prefix shared by all its tags (whole words packed once);
// - each tag's suffix (`|rule_id|version|technique|sub`) is a NameSuffix that caches, per prefix
//   length, the message words it ends with (suffix, padding, length) and, when the last block
//   holds nothing of the prefix, that block's expanded schedule;
// - the UUID string comes from one String.fromCharCode call (a flat string).
// sha1-uuid.test.ts checks SHA-1 against node:crypto and the UUIDs against the `uuid` package
// (ASCII, multi-byte UTF-8, lone surrogates, every length around the block boundaries).

const encoder = new TextEncoder();
const HEX_CODES = Uint8Array.from("0123456789abcdef", (ch) => ch.charCodeAt(0));

/**
 * One SHA-1 compression of the 16 words m[o..o+15] into the state h (five words).
 * Unrolled: round t uses schedule word w(t mod 16), and the roles a..e rotate one variable per
 * round instead of moving values (after 80 rounds they are back in place).
 */
function compress(m: Int32Array, o: number, h: Int32Array): void {
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
  let w0 = m[o]!, w1 = m[o + 1]!, w2 = m[o + 2]!, w3 = m[o + 3]!, w4 = m[o + 4]!, w5 = m[o + 5]!, w6 = m[o + 6]!, w7 = m[o + 7]!;
  let w8 = m[o + 8]!, w9 = m[o + 9]!, w10 = m[o + 10]!, w11 = m[o + 11]!, w12 = m[o + 12]!, w13 = m[o + 13]!, w14 = m[o + 14]!, w15 = m[o + 15]!;
  let x = 0;
  // Rounds 0–19: Ch, K = 0x5a827999; 20–39: Parity, 0x6ed9eba1; 40–59: Maj, 0x8f1bbcdc; 60–79: Parity, 0xca62c1d6.
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + 0x5a827999 + w0) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + 0x5a827999 + w1) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + 0x5a827999 + w2) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + 0x5a827999 + w3) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + 0x5a827999 + w4) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + 0x5a827999 + w5) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + 0x5a827999 + w6) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + 0x5a827999 + w7) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + 0x5a827999 + w8) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + 0x5a827999 + w9) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + 0x5a827999 + w10) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + 0x5a827999 + w11) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + 0x5a827999 + w12) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + 0x5a827999 + w13) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + 0x5a827999 + w14) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + 0x5a827999 + w15) | 0; b = (b << 30) | (b >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + 0x5a827999 + w0) | 0; a = (a << 30) | (a >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + 0x5a827999 + w1) | 0; e = (e << 30) | (e >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + 0x5a827999 + w2) | 0; d = (d << 30) | (d >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + 0x5a827999 + w3) | 0; c = (c << 30) | (c >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w4) | 0; b = (b << 30) | (b >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + 0x6ed9eba1 + w5) | 0; a = (a << 30) | (a >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + 0x6ed9eba1 + w6) | 0; e = (e << 30) | (e >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + 0x6ed9eba1 + w7) | 0; d = (d << 30) | (d >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w8) | 0; c = (c << 30) | (c >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w9) | 0; b = (b << 30) | (b >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + 0x6ed9eba1 + w10) | 0; a = (a << 30) | (a >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + 0x6ed9eba1 + w11) | 0; e = (e << 30) | (e >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + 0x6ed9eba1 + w12) | 0; d = (d << 30) | (d >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w13) | 0; c = (c << 30) | (c >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w14) | 0; b = (b << 30) | (b >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + 0x6ed9eba1 + w15) | 0; a = (a << 30) | (a >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + 0x6ed9eba1 + w0) | 0; e = (e << 30) | (e >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + 0x6ed9eba1 + w1) | 0; d = (d << 30) | (d >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w2) | 0; c = (c << 30) | (c >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w3) | 0; b = (b << 30) | (b >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + 0x6ed9eba1 + w4) | 0; a = (a << 30) | (a >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + 0x6ed9eba1 + w5) | 0; e = (e << 30) | (e >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + 0x6ed9eba1 + w6) | 0; d = (d << 30) | (d >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + 0x6ed9eba1 + w7) | 0; c = (c << 30) | (c >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e - 0x70e44324 + w8) | 0; b = (b << 30) | (b >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d - 0x70e44324 + w9) | 0; a = (a << 30) | (a >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c - 0x70e44324 + w10) | 0; e = (e << 30) | (e >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b - 0x70e44324 + w11) | 0; d = (d << 30) | (d >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a - 0x70e44324 + w12) | 0; c = (c << 30) | (c >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e - 0x70e44324 + w13) | 0; b = (b << 30) | (b >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d - 0x70e44324 + w14) | 0; a = (a << 30) | (a >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c - 0x70e44324 + w15) | 0; e = (e << 30) | (e >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b - 0x70e44324 + w0) | 0; d = (d << 30) | (d >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a - 0x70e44324 + w1) | 0; c = (c << 30) | (c >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e - 0x70e44324 + w2) | 0; b = (b << 30) | (b >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d - 0x70e44324 + w3) | 0; a = (a << 30) | (a >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c - 0x70e44324 + w4) | 0; e = (e << 30) | (e >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b - 0x70e44324 + w5) | 0; d = (d << 30) | (d >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a - 0x70e44324 + w6) | 0; c = (c << 30) | (c >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e - 0x70e44324 + w7) | 0; b = (b << 30) | (b >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d - 0x70e44324 + w8) | 0; a = (a << 30) | (a >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c - 0x70e44324 + w9) | 0; e = (e << 30) | (e >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b - 0x70e44324 + w10) | 0; d = (d << 30) | (d >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a - 0x70e44324 + w11) | 0; c = (c << 30) | (c >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + w12) | 0; b = (b << 30) | (b >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d - 0x359d3e2a + w13) | 0; a = (a << 30) | (a >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c - 0x359d3e2a + w14) | 0; e = (e << 30) | (e >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b - 0x359d3e2a + w15) | 0; d = (d << 30) | (d >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a - 0x359d3e2a + w0) | 0; c = (c << 30) | (c >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + w1) | 0; b = (b << 30) | (b >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d - 0x359d3e2a + w2) | 0; a = (a << 30) | (a >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c - 0x359d3e2a + w3) | 0; e = (e << 30) | (e >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b - 0x359d3e2a + w4) | 0; d = (d << 30) | (d >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a - 0x359d3e2a + w5) | 0; c = (c << 30) | (c >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + w6) | 0; b = (b << 30) | (b >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d - 0x359d3e2a + w7) | 0; a = (a << 30) | (a >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c - 0x359d3e2a + w8) | 0; e = (e << 30) | (e >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b - 0x359d3e2a + w9) | 0; d = (d << 30) | (d >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a - 0x359d3e2a + w10) | 0; c = (c << 30) | (c >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + w11) | 0; b = (b << 30) | (b >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d - 0x359d3e2a + w12) | 0; a = (a << 30) | (a >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c - 0x359d3e2a + w13) | 0; e = (e << 30) | (e >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b - 0x359d3e2a + w14) | 0; d = (d << 30) | (d >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a - 0x359d3e2a + w15) | 0; c = (c << 30) | (c >>> 2);
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
}

/** The 80-word schedule of the 16 words m[o..o+15], each plus its round constant (for compressExpanded). */
function expand(m: Int32Array, o: number): Int32Array {
  const w = new Int32Array(80);
  for (let t = 0; t < 16; t++) w[t] = m[o + t]!;
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  for (let t = 0; t < 80; t++) w[t] = (w[t]! + (t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6)) | 0;
  return w;
}

/** compress() of a block whose schedule (plus round constants) was computed by expand(). */
function compressExpanded(wk: Int32Array, h: Int32Array): void {
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + wk[0]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + wk[1]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + wk[2]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + wk[3]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + wk[4]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + wk[5]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + wk[6]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + wk[7]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + wk[8]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + wk[9]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + wk[10]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + wk[11]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + wk[12]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + wk[13]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + wk[14]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + wk[15]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + wk[16]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + wk[17]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + wk[18]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + wk[19]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[20]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[21]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[22]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[23]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[24]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[25]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[26]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[27]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[28]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[29]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[30]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[31]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[32]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[33]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[34]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[35]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[36]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[37]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[38]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[39]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + wk[40]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + wk[41]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + wk[42]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + wk[43]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + wk[44]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + wk[45]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + wk[46]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + wk[47]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + wk[48]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + wk[49]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + wk[50]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + wk[51]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + wk[52]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + wk[53]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + wk[54]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + wk[55]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + wk[56]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + wk[57]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + wk[58]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + wk[59]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[60]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[61]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[62]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[63]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[64]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[65]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[66]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[67]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[68]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[69]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[70]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[71]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[72]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[73]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[74]!) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + wk[75]!) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + wk[76]!) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + wk[77]!) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + wk[78]!) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + wk[79]!) | 0; c = (c << 30) | (c >>> 2);
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
}

/**
 * SHA-1 of the bytes [0, len) of the message whose words [0, from) are already packed in `m`
 * (big-endian) and whose remaining bytes are in `bytes`. Leaves the digest in `h`.
 * `m` needs room for len / 4 + 18 words.
 */
function digest(bytes: Uint8Array, m: Int32Array, from: number, len: number, h: Int32Array): void {
  const words = digestWords(bytes, m, from, len);
  h[0] = 0x67452301;
  h[1] = 0xefcdab89 | 0;
  h[2] = 0x98badcfe | 0;
  h[3] = 0x10325476;
  h[4] = 0xc3d2e1f0 | 0;
  for (let o = 0; o < words; o += 16) compress(m, o, h);
}

/** The padded message words of digest(); returns their count. */
function digestWords(bytes: Uint8Array, m: Int32Array, from: number, len: number): number {
  const full = len >>> 2;
  for (let k = from, j = from << 2; k < full; k++, j += 4) {
    m[k] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  // Last partial word with the 0x80 terminator, zeros, then the 64-bit big-endian bit length.
  const r = len & 3;
  const j = full << 2;
  let last = 0x80 << (24 - (r << 3));
  if (r > 0) last |= bytes[j]! << 24;
  if (r > 1) last |= bytes[j + 1]! << 16;
  if (r > 2) last |= bytes[j + 2]! << 8;
  m[full] = last;
  const words = (((len + 8) >>> 6) + 1) << 4;
  for (let k = full + 1; k < words - 2; k++) m[k] = 0;
  m[words - 2] = Math.floor(len / 0x20000000);
  m[words - 1] = len << 3;
  return words;
}

/**
 * The UUID string of the first 16 digest bytes, version 5 in byte 6, RFC variant in byte 8.
 * One String.fromCharCode call gives a flat one-byte string (concatenating 2-digit pieces gives a
 * rope of ~20 nodes, cheaper to build but dearer once read).
 */
function uuidString(h: Int32Array): string {
  const c = HEX_CODES;
  const h0 = h[0]!;
  const h1 = (h[1]! & ~0xf000) | 0x5000;
  const h2 = (h[2]! & 0x3fffffff) | 0x80000000;
  const h3 = h[3]!;
  return String.fromCharCode(
    c[h0 >>> 28]!, c[(h0 >>> 24) & 15]!, c[(h0 >>> 20) & 15]!, c[(h0 >>> 16) & 15]!,
    c[(h0 >>> 12) & 15]!, c[(h0 >>> 8) & 15]!, c[(h0 >>> 4) & 15]!, c[h0 & 15]!, 0x2d,
    c[h1 >>> 28]!, c[(h1 >>> 24) & 15]!, c[(h1 >>> 20) & 15]!, c[(h1 >>> 16) & 15]!, 0x2d,
    c[(h1 >>> 12) & 15]!, c[(h1 >>> 8) & 15]!, c[(h1 >>> 4) & 15]!, c[h1 & 15]!, 0x2d,
    c[h2 >>> 28]!, c[(h2 >>> 24) & 15]!, c[(h2 >>> 20) & 15]!, c[(h2 >>> 16) & 15]!, 0x2d,
    c[(h2 >>> 12) & 15]!, c[(h2 >>> 8) & 15]!, c[(h2 >>> 4) & 15]!, c[h2 & 15]!,
    c[h3 >>> 28]!, c[(h3 >>> 24) & 15]!, c[(h3 >>> 20) & 15]!, c[(h3 >>> 16) & 15]!,
    c[(h3 >>> 12) & 15]!, c[(h3 >>> 8) & 15]!, c[(h3 >>> 4) & 15]!, c[h3 & 15]!,
  );
}

/** NameSuffix caches tails for prefixes shorter than this many message bytes… */
const MAX_CACHED_PREFIX = 128;
/** …and for at most this many distinct prefix lengths (≈ 0.4 KiB each), then computes as usual. */
const MAX_CACHED_LENGTHS = 16;

/**
 * A name suffix (UTF-8 bytes) with, per prefix length, the message words it ends with: its own
 * bytes, the 0x80 terminator, zeros and the bit length — all fixed once the prefix length is.
 * When the last 64-byte block holds suffix bytes only, its expanded schedule is kept too, so
 * that block costs 80 rounds and nothing else. Tag ids have one suffix per rule and emits entry,
 * and source ids of a sensor come in few lengths.
 */
export class NameSuffix {
  readonly bytes: Uint8Array;
  /** tails[prefixEnd]: message words from prefixEnd >> 2 to the end, prefix bytes left as 0. */
  private readonly tails: (Int32Array | undefined)[] = [];
  /** lastBlocks[prefixEnd]: expand() of the last block, or null when it holds prefix bytes. */
  private readonly lastBlocks: (Int32Array | null | undefined)[] = [];
  private cached = 0;

  constructor(s: string) {
    this.bytes = encoder.encode(s);
  }

  /** The tail after a prefix ending at message byte `prefixEnd`, or null when not cached. */
  tail(prefixEnd: number): Int32Array | null {
    const t = this.tails[prefixEnd];
    if (t !== undefined) return t;
    if (prefixEnd >= MAX_CACHED_PREFIX || this.cached >= MAX_CACHED_LENGTHS) return null;
    const len = prefixEnd + this.bytes.length;
    const total = (((len + 8) >>> 6) + 1) << 4;
    const from = prefixEnd >>> 2;
    const bytes = new Uint8Array(total * 4);
    bytes.set(this.bytes, prefixEnd);
    const m = new Int32Array(total);
    digestWords(bytes, m, from, len);
    const tail = m.slice(from);
    this.tails[prefixEnd] = tail;
    this.lastBlocks[prefixEnd] = from < total - 16 ? expand(m, total - 16) : null;
    this.cached++;
    return tail;
  }

  /** After tail(prefixEnd) returned a tail: the last block's expanded schedule, or null. */
  lastBlock(prefixEnd: number): Int32Array | null {
    return this.lastBlocks[prefixEnd] ?? null;
  }
}

/**
 * UUIDv5 names in one namespace, over buffers it owns (one builder per caller: not re-entrant).
 * `of(name)` for a whole name; for names sharing a prefix, `setPrefix(a, b)` once (prefix
 * `a|b`) and then `withSuffix(bytes)` or `withNameSuffix(suffix)` per name: the name is the
 * UTF-8 of the prefix followed by the suffix bytes.
 */
export class Uuidv5Builder {
  /** Message bytes: [0, 16) the namespace, then the name. */
  private bytes = new Uint8Array(512);
  /** Message words; [0, packed) are current (the namespace, then the prefix's whole words). */
  private words = new Int32Array(512 / 4 + 32);
  private readonly h = new Int32Array(5);
  private prefixEnd = 16;
  private packed = 4;
  /** The prefix's bytes in its last, partial word (high bytes first), the rest 0. */
  private prefixPartial = 0;
  /** The first part of the last prefix (null after of()), and where its "|" ends. */
  private first: string | null = null;
  private firstEnd = 16;

  constructor(namespace: Uint8Array) {
    if (namespace.length !== 16) throw new Error("a UUID namespace is 16 bytes");
    this.bytes.set(namespace, 0);
    for (let k = 0; k < 4; k++) {
      this.words[k] = (namespace[4 * k]! << 24) | (namespace[4 * k + 1]! << 16) | (namespace[4 * k + 2]! << 8) | namespace[4 * k + 3]!;
    }
  }

  /** UUIDv5 string of `name` (UTF-8; lone surrogates become U+FFFD, as TextEncoder does). */
  of(name: string): string {
    // of() leaves an empty prefix behind (its name bytes overwrite any earlier prefix).
    this.prefixEnd = 16;
    this.packed = 4;
    this.prefixPartial = 0;
    this.first = null;
    const end = this.write(name, 16);
    digest(this.bytes, this.words, 4, end, this.h);
    return uuidString(this.h);
  }

  /** Sets the prefix `a|b` of the names given to withSuffix and withNameSuffix. */
  setPrefix(a: string, b: string): void {
    // `a` (the source kind) rarely changes from one event to the next: its bytes are kept.
    let end = this.firstEnd;
    if (a !== this.first) {
      end = this.write(a, 16);
      this.reserve(end + 1);
      this.bytes[end++] = 0x7c; // "|"
      this.first = a;
      this.firstEnd = end;
    }
    end = this.write(b, end);
    this.prefixEnd = end;
    // Whole words of the prefix are packed once, for every name that follows.
    const bytes = this.bytes;
    const m = this.words;
    const full = end >>> 2;
    for (let k = 4, j = 16; k < full; k++, j += 4) m[k] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
    this.packed = full;
    const r = end & 3;
    const j = full << 2;
    let partial = 0;
    if (r > 0) partial |= bytes[j]! << 24;
    if (r > 1) partial |= bytes[j + 1]! << 16;
    if (r > 2) partial |= bytes[j + 2]! << 8;
    this.prefixPartial = partial;
  }

  /** UUIDv5 string of the prefix followed by the suffix: withSuffix(suffix.bytes), from its cached tail. */
  withNameSuffix(suffix: NameSuffix): string {
    const pe = this.prefixEnd;
    const tail = suffix.tail(pe);
    if (tail === null) return this.withSuffix(suffix.bytes);
    const last = suffix.lastBlock(pe);
    const from = pe >>> 2;
    const n = tail.length;
    if (from + n > this.words.length) this.reserve((from + n) * 4);
    const m = this.words;
    m[from] = this.prefixPartial | tail[0]!;
    const copy = last === null ? n : n - 16;
    for (let i = 1; i < copy; i++) m[from + i] = tail[i]!;
    const h = this.h;
    h[0] = 0x67452301;
    h[1] = 0xefcdab89 | 0;
    h[2] = 0x98badcfe | 0;
    h[3] = 0x10325476;
    h[4] = 0xc3d2e1f0 | 0;
    const end = from + copy;
    for (let o = 0; o < end; o += 16) compress(m, o, h);
    if (last !== null) compressExpanded(last, h);
    return uuidString(h);
  }

  /** UUIDv5 string of the prefix followed by the bytes `suffix` (see utf8Bytes). */
  withSuffix(suffix: Uint8Array): string {
    const start = this.prefixEnd;
    const n = suffix.length;
    const end = start + n;
    if (end + 1 > this.bytes.length) this.reserve(end + 1);
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) bytes[start + i] = suffix[i]!;
    digest(bytes, this.words, this.packed, end, this.h);
    return uuidString(this.h);
  }

  /** Writes `s` as UTF-8 at byte `at`; returns the end offset. */
  private write(value: string, at: number): number {
    const s = typeof value === "string" ? value : String(value); // ids are strings; be lenient
    const n = s.length;
    if (at + n * 3 > this.bytes.length) this.reserve(at + n * 3);
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return at + i + encoder.encodeInto(s.slice(i), bytes.subarray(at + i)).written;
      bytes[at + i] = c;
    }
    return at + n;
  }

  /** Grows the buffers to hold `size` message bytes, keeping their content. */
  private reserve(size: number): void {
    if (size <= this.bytes.length) return;
    let n = this.bytes.length;
    while (n < size) n *= 2;
    const bytes = new Uint8Array(n);
    bytes.set(this.bytes);
    const words = new Int32Array((n >>> 2) + 32);
    words.set(this.words);
    this.bytes = bytes;
    this.words = words;
  }
}

/** UTF-8 bytes of `s` (for precomputed withSuffix arguments). */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** SHA-1 digest (20 bytes) of `data`; the same code path as the UUIDs, exported for its tests. */
export function sha1(data: Uint8Array): Uint8Array {
  const m = new Int32Array((data.length >>> 2) + 32);
  const h = new Int32Array(5);
  digest(data, m, 0, data.length, h);
  const out = new Uint8Array(20);
  for (let i = 0; i < 5; i++) {
    const v = h[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 0xff;
    out[4 * i + 2] = (v >>> 8) & 0xff;
    out[4 * i + 3] = v & 0xff;
  }
  return out;
}

const builders = new WeakMap<Uint8Array, Uuidv5Builder>();

/** UUIDv5 string of `name` in the namespace whose 16 bytes are given. */
export function uuidv5Fast(namespace: Uint8Array, name: string): string {
  let b = builders.get(namespace);
  if (b === undefined) {
    b = new Uuidv5Builder(namespace);
    builders.set(namespace, b);
  }
  return b.of(name);
}
