import { describe, expect, it } from "vitest";
import { buildEvidenceGeneric, evidenceExtractor, evidenceSource, internKey, type Payload } from "./evidence";

const ODD_KEYS = ["command_text", "", "0", "1e3", "constructor", "toString", "__proto__", 'a"b', "a\\b", "a'b`c${x}", "\u2028\u2029", "\ud800", "é漢🙂", "x\ny", "});alert(1);({"];

/** Everything observable about an evidence object: prototype, own keys in order, values. */
const shape = (o: object) => ({ proto: Object.getPrototypeOf(o) as unknown, keys: Reflect.ownKeys(o), values: Reflect.ownKeys(o).map((k) => (o as Record<PropertyKey, unknown>)[k]) });

describe("evidence extractors", () => {
  it("equal the generic loop for every key list and payload, odd key names included", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const values = [undefined, null, 0, "", "x", { a: 1 }, [1, 2], false];
    for (let round = 0; round < 400; round++) {
      const keys = Array.from({ length: Math.floor(rnd() * 7) }, () => ODD_KEYS[Math.floor(rnd() * ODD_KEYS.length)] as string);
      const payload: Record<string, unknown> = JSON.parse("{}");
      for (const k of ODD_KEYS) {
        const v = values[Math.floor(rnd() * values.length)];
        // An own "__proto__" key, as JSON.parse makes one.
        if (v !== undefined) Object.defineProperty(payload, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      const x = evidenceExtractor(keys);
      // Names Object.prototype has are dropped: they could only read inherited values.
      const dedup = [...new Set(keys)].filter((k) => !(k in Object.prototype));
      expect(x.keys).toEqual(dedup);
      const built = x.build(payload);
      for (const k of ["constructor", "toString", "__proto__"]) expect(Object.prototype.hasOwnProperty.call(built, k)).toBe(false);
      expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
      expect(shape(x.build(payload))).toEqual(shape(buildEvidenceGeneric(dedup, payload)));
    }
  });

  it("builds one object literal when every key is present, and omits absent keys otherwise", () => {
    const x = evidenceExtractor(["command_text", "uid", "user", "src", "pwd"]);
    const full: Payload = { command_text: "id", uid: 0, user: "root", src: "1.2.3.4", pwd: "/", other: 1 };
    expect(Object.entries(x.build(full))).toEqual([
      ["command_text", "id"],
      ["uid", 0],
      ["user", "root"],
      ["src", "1.2.3.4"],
      ["pwd", "/"],
    ]);
    expect(x.build({ pwd: "/", command_text: "id" })).toEqual({ command_text: "id", pwd: "/" });
    expect(Object.keys(x.build({ pwd: "/", command_text: "id" }))).toEqual(["command_text", "pwd"]);
    expect(x.build({})).toEqual({});
    expect(x.build(full)).not.toBe(x.build(full));
  });

  it("returns a payload with exactly its keys, in its order, as its own evidence (and copies any other)", () => {
    const x = evidenceExtractor(["command_text", "uid", "user", "src", "pwd"]);
    const exact = JSON.parse('{"command_text":"id","uid":0,"user":"root","src":"1.2.3.4","pwd":"/"}') as Payload;
    expect(x.build(exact)).toBe(exact);
    const reordered = JSON.parse('{"uid":0,"command_text":"id","user":"root","src":"1.2.3.4","pwd":"/"}') as Payload;
    expect(x.build(reordered)).not.toBe(reordered);
    expect(JSON.stringify(x.build(reordered))).toBe(JSON.stringify(exact));
    const missing = { command_text: "id", uid: undefined, user: "root", src: "1.2.3.4", pwd: "/" };
    expect(x.build(missing)).not.toBe(missing);
    expect(Object.keys(x.build(missing))).toEqual(["command_text", "user", "src", "pwd"]);
    // The generic loop (no code generation) always copies; both serialise the same.
    expect(JSON.stringify(buildEvidenceGeneric(x.keys, exact))).toBe(JSON.stringify(x.build(exact)));
  });

  it("is one extractor per distinct list, duplicates dropped (first kept)", () => {
    const a = evidenceExtractor(["b", "a", "b"]);
    expect(a.keys).toEqual(["b", "a"]);
    expect(evidenceExtractor(["b", "a"])).toBe(a);
    expect(evidenceExtractor(["a", "b"])).not.toBe(a);
  });

  it("keeps key names out of the code: they appear only as JSON string literals", () => {
    const src = evidenceSource(['"]);process.exit(1);//', "__proto__"]);
    expect(src).toContain(JSON.stringify('"]);process.exit(1);//'));
    expect(src).not.toContain("return {"); // no literal with a "__proto__" key
    const x = evidenceExtractor(['"]);process.exit(1);//']);
    expect(x.build({ '"]);process.exit(1);//': 1 })).toEqual({ '"]);process.exit(1);//': 1 });
  });

  it("internKey returns an equal string", () => {
    for (const k of ODD_KEYS) expect(internKey(k)).toBe(k);
    expect(internKey(String.fromCharCode(99, 109, 100))).toBe("cmd");
  });
});
