import { describe, expect, it } from "vitest";
import { clientAddress } from "./client-address";

describe("clientAddress (X-Forwarded-For behind trusted proxies)", () => {
  it("trusts nothing without a trusted proxy", () => {
    expect(clientAddress("198.51.100.7", 0)).toBeNull();
    expect(clientAddress(null, 1)).toBeNull();
  });

  it("takes the entry the outermost trusted proxy appended, never the client's own entries", () => {
    expect(clientAddress("198.51.100.7", 1)).toBe("198.51.100.7");
    expect(clientAddress("6.6.6.6, 198.51.100.7", 1)).toBe("198.51.100.7");
    expect(clientAddress("6.6.6.6, 7.7.7.7,198.51.100.7", 1)).toBe("198.51.100.7");
    expect(clientAddress("6.6.6.6, 198.51.100.7, 10.0.0.2", 2)).toBe("198.51.100.7");
    expect(clientAddress("198.51.100.7, 10.0.0.2", 2)).toBe("198.51.100.7");
  });

  it("is null when the proxies did not append as many entries as configured", () => {
    expect(clientAddress("10.0.0.2", 2)).toBeNull();
    expect(clientAddress(", 10.0.0.2", 2)).toBeNull();
    expect(clientAddress("", 1)).toBeNull();
  });

  it("drops a port the proxy appended with the address", () => {
    expect(clientAddress("6.6.6.6, 198.51.100.7:51234", 1)).toBe("198.51.100.7");
    expect(clientAddress("[2001:db8::7]:51234", 1)).toBe("2001:db8::7");
    expect(clientAddress("2001:db8::7", 1)).toBe("2001:db8::7");
  });
});
