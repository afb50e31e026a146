import { describe, expect, it } from "vitest";
import { decodeUtf8 } from "./utf8";

describe("decodeUtf8", () => {
  it("gives Buffer#toString('utf8') for ASCII, UTF-8 and malformed bytes, from a Buffer or a plain Uint8Array view", () => {
    const samples: Uint8Array[] = [
      Buffer.from('{"a":"plain ascii \\u00e9"}\n', "utf8"),
      Buffer.from("é 😀 \u2028 ü", "utf8"),
      Uint8Array.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x7f, 0x80]),
      new Uint8Array(0),
    ];
    let seed = 7;
    for (let n = 0; n < 200; n++) {
      const bytes = new Uint8Array(1 + (n % 50));
      for (let i = 0; i < bytes.length; i++) bytes[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> (n % 2 === 0 ? 25 : 24);
      samples.push(bytes);
    }
    for (const bytes of samples) {
      const expected = Buffer.from(bytes).toString("utf8");
      expect(decodeUtf8(bytes)).toBe(expected);
      const padded = new Uint8Array(bytes.length + 4);
      padded.set(bytes, 2);
      expect(decodeUtf8(padded.subarray(2, 2 + bytes.length))).toBe(expected);
    }
  });
});
