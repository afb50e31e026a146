import { createHash, randomBytes } from "node:crypto";
import { parse as parseUuid, v5 as uuidv5 } from "uuid";
import { describe, expect, it } from "vitest";
import { NameSuffix, sha1, utf8Bytes, Uuidv5Builder, uuidv5Fast } from "./sha1-uuid";
import { TAG_NAMESPACE } from "./tag-id";

/** Deterministic PRNG (mulberry32) so a failure names a reproducible input. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random string of `n` UTF-16 units: ASCII, Latin-1, BMP (3-byte UTF-8), astral pairs, lone surrogates. */
function randomString(rnd: () => number, n: number): string {
  let s = "";
  while (s.length < n) {
    const k = rnd();
    if (k < 0.5) s += String.fromCharCode(Math.floor(rnd() * 0x80));
    else if (k < 0.65) s += String.fromCharCode(0x80 + Math.floor(rnd() * 0x780));
    else if (k < 0.8) s += String.fromCharCode(0x800 + Math.floor(rnd() * (0xd800 - 0x800)));
    else if (k < 0.93 && s.length + 2 <= n) s += String.fromCodePoint(0x10000 + Math.floor(rnd() * 0xfffff));
    else s += String.fromCharCode(0xd800 + Math.floor(rnd() * 0x800)); // lone surrogate → U+FFFD in UTF-8
  }
  return s;
}

const nodeSha1 = (data: Uint8Array): string => createHash("sha1").update(data).digest("hex");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** The uuid package's v5 of the UTF-8 of `name` (its string path rejects lone surrogates). */
const refV5 = (name: string): string => uuidv5(new Uint8Array(Buffer.from(name, "utf8")), TAG_NAMESPACE);

describe("sha1", () => {
  it("matches the FIPS 180-4 test vectors", () => {
    expect(hex(sha1(utf8Bytes("")))).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(hex(sha1(utf8Bytes("abc")))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(hex(sha1(utf8Bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  });

  it("equals node:crypto on random bytes of every length 0..300", () => {
    for (let n = 0; n <= 300; n++) {
      for (let k = 0; k < 3; k++) {
        const data = new Uint8Array(randomBytes(n));
        expect(hex(sha1(data)), `length ${n}`).toBe(nodeSha1(data));
      }
    }
  });

  it("equals node:crypto on the UTF-8 of random strings of 0..300 units (multi-byte, astral, lone surrogates)", () => {
    const rnd = prng(1);
    for (let n = 0; n <= 300; n++) {
      const s = randomString(rnd, n);
      expect(hex(sha1(utf8Bytes(s))), JSON.stringify(s)).toBe(createHash("sha1").update(s, "utf8").digest("hex"));
    }
  });

  it("handles a message of several blocks", () => {
    const data = new Uint8Array(randomBytes(10_000));
    expect(hex(sha1(data))).toBe(nodeSha1(data));
  });
});

describe("Uuidv5Builder", () => {
  const ns = parseUuid(TAG_NAMESPACE);

  it("of(name) equals the uuid package's v5 on random names of 0..300 units", () => {
    const b = new Uuidv5Builder(ns);
    const rnd = prng(2);
    for (let n = 0; n <= 300; n++) {
      const ascii = Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rnd() * 95))).join("");
      expect(b.of(ascii)).toBe(uuidv5(ascii, TAG_NAMESPACE));
      const mixed = randomString(rnd, n);
      expect(b.of(mixed), JSON.stringify(mixed)).toBe(refV5(mixed));
    }
  });

  it("setPrefix + withSuffix equals v5 of the joined name, for every prefix/suffix length split", () => {
    const b = new Uuidv5Builder(ns);
    const rnd = prng(3);
    for (let pa = 0; pa <= 12; pa++) {
      for (let pb = 0; pb <= 70; pb += 3) {
        const a = randomString(rnd, pa);
        const id = pb % 2 === 0 ? "x".repeat(pb) : randomString(rnd, pb);
        b.setPrefix(a, id);
        // Several suffixes per prefix: the prefix must survive each digest's padding.
        for (const sl of [0, 1, 7, 23, 40, 64, 130]) {
          const suffix = sl % 2 === 0 ? "|R0015|1|T1548|T1548.001".repeat(6).slice(0, sl) : randomString(rnd, sl);
          // The name is UTF-8(a|id) followed by the suffix bytes (equal to UTF-8 of the joined
          // string unless a surrogate pair is split across the two, which tag ids never do).
          const bytes = Buffer.concat([Buffer.from(`${a}|${id}`, "utf8"), Buffer.from(suffix, "utf8")]);
          expect(b.withSuffix(utf8Bytes(suffix))).toBe(uuidv5(new Uint8Array(bytes), TAG_NAMESPACE));
        }
      }
    }
  });

  it("withNameSuffix (cached message tails) equals withSuffix for every prefix length, cached or not", () => {
    const b = new Uuidv5Builder(ns);
    const rnd = prng(4);
    // Suffixes whose tail fits in the prefix's block, spills into a second one, or spans several.
    const suffixes = ["", "|", "|R0014|2|T1083|", "|R0015|1|T1548|T1548.001", "|R1|1|T1|" + "é".repeat(40), "|" + "x".repeat(150)].map(
      (s) => new NameSuffix(s),
    );
    for (let round = 0; round < 2; round++) {
      // round 0 fills the caches, round 1 reads them back (with different prefixes of the same lengths)
      for (let idLen = 0; idLen <= 180; idLen++) {
        const id = idLen % 3 === 0 ? randomString(rnd, idLen) : `cmd_${"9".repeat(idLen)}`.slice(0, idLen);
        b.setPrefix("command", id);
        for (const s of suffixes) {
          const bytes = new Uint8Array(Buffer.concat([Buffer.from(`command|${id}`, "utf8"), Buffer.from(s.bytes)]));
          const expected = uuidv5(bytes, TAG_NAMESPACE);
          expect(b.withNameSuffix(s), `id ${JSON.stringify(id)} suffix ${Buffer.from(s.bytes).toString()}`).toBe(expected);
          expect(b.withSuffix(s.bytes)).toBe(expected);
        }
      }
    }
  });

  it("grows past its initial buffers and keeps working for short names afterwards", () => {
    const b = new Uuidv5Builder(ns);
    const long = "é".repeat(3000);
    expect(b.of(long)).toBe(uuidv5(long, TAG_NAMESPACE));
    b.setPrefix("command", "z".repeat(5000));
    expect(b.withSuffix(utf8Bytes("|R1|1|T1|"))).toBe(uuidv5(`command|${"z".repeat(5000)}|R1|1|T1|`, TAG_NAMESPACE));
    b.setPrefix("command", "cmd_1");
    expect(b.withSuffix(utf8Bytes("|R1|1|T1|"))).toBe(uuidv5("command|cmd_1|R1|1|T1|", TAG_NAMESPACE));
    expect(b.of("")).toBe(uuidv5("", TAG_NAMESPACE));
    // After of(), the prefix is empty.
    b.setPrefix("command", "cmd_123");
    b.of("something else entirely");
    expect(b.withNameSuffix(new NameSuffix("R1|1|T1|"))).toBe(uuidv5("R1|1|T1|", TAG_NAMESPACE));
    expect(b.withSuffix(utf8Bytes("R1|1|T1|"))).toBe(uuidv5("R1|1|T1|", TAG_NAMESPACE));
    // of() overwrote the kept first part of the prefix: the next setPrefix must write it again.
    b.setPrefix("command", "cmd_2");
    expect(b.withNameSuffix(new NameSuffix("|R1|1|T1|"))).toBe(uuidv5("command|cmd_2|R1|1|T1|", TAG_NAMESPACE));
    b.setPrefix("http_request", "cmd_2");
    expect(b.withNameSuffix(new NameSuffix("|R1|1|T1|"))).toBe(uuidv5("http_request|cmd_2|R1|1|T1|", TAG_NAMESPACE));
    b.setPrefix("command", "cmd_2");
    expect(b.withNameSuffix(new NameSuffix("|R1|1|T1|"))).toBe(uuidv5("command|cmd_2|R1|1|T1|", TAG_NAMESPACE));
  });

  it("works in any namespace (uuidv5Fast)", () => {
    const url = parseUuid(uuidv5.URL);
    expect(uuidv5Fast(url, "decnet:ttp_tag:v1")).toBe(TAG_NAMESPACE);
    expect(() => new Uuidv5Builder(new Uint8Array(15))).toThrow(/16 bytes/);
  });
});
