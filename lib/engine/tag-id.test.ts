import { describe, expect, it } from "vitest";
import { v5 as uuidv5 } from "uuid";
import { TAG_NAMESPACE, tagId, uuidv5InTagNamespace } from "./tag-id";

describe("tag id", () => {
  it("matches DECNET's golden values", () => {
    expect(TAG_NAMESPACE).toBe("1ca31f08-5522-5aae-8371-fe81f0e39de3");
    expect(tagId("command", "cmd_42", "R0014", 2, "T1083", null)).toBe("9aa491e5-f03b-5d8f-9eb5-161becedcdd6");
    expect(tagId("command", "cmd_42", "R0015", 1, "T1548", "T1548.001")).toBe("4fd57b14-c135-544c-97d9-4fabc1051584");
  });

  it("equals the uuid package's v5 for arbitrary names (ASCII, Unicode, long)", () => {
    const names = ["", "a", "é|ü|漢字|🙂", "x".repeat(600), "http_request|/a?b=c|R1|3|T1190|", "\u0000\u007f\u0080\uffff"];
    // Lengths around the 55/56/64-byte padding boundaries (16 namespace bytes + name).
    for (let n = 30; n <= 120; n++) names.push("y".repeat(n));
    for (let n = 10; n <= 40; n++) names.push("é".repeat(n));
    for (let i = 0; i < 300; i++) names.push(`command|cmd_${i * 7919}|R${i}|${i % 5}|T10${i % 90}|${i % 3 ? "" : "T1059.004"}`);
    for (const n of names) expect(uuidv5InTagNamespace(n)).toBe(uuidv5(n, TAG_NAMESPACE));
  });
});
