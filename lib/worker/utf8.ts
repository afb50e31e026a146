import { isAscii } from "node:buffer";

/**
 * UTF-8 bytes to a string, as `Buffer#toString("utf8")` gives it (malformed sequences become
 * U+FFFD). Pure ASCII — nearly every event line — is checked with one SIMD pass and decoded as
 * Latin-1, which is the same text: V8's UTF-8 decoder is ≈ 20× slower on it (420 ms against 22 ms
 * for the 131 MB of `bench -- cli`'s events, measured). Used for NATS message bodies; JSON Lines
 * blocks do the same per 64 KiB piece in evaluate-block.ts, which also keeps the ASCII flag for
 * its line scanner.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isAscii(b) ? b.toString("latin1") : b.toString("utf8");
}
