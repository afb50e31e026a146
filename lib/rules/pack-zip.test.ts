import { deflateRawSync } from "node:zlib";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { MAX_PACK_ENTRIES, readRulePackZip, type PackLimits, type RulePackEntries } from "./pack-zip";
import { buildRulePackZip } from "./rule-pack";
import { ruleYaml } from "./testing/fixtures";
import { buildZip, deflatedZeros, zipEntry } from "./testing/zip-builder";
import { readRulePackZipOffThread } from "./unzip-pool";

const LIMITS: PackLimits = { maxFileBytes: 1024 * 1024 };
const read = (bytes: Uint8Array, limits: Partial<PackLimits> = {}): RulePackEntries => readRulePackZip(bytes, { ...LIMITS, ...limits });
const problems = (r: RulePackEntries): string[] => r.issues.map((i) => `${i.source}: ${i.message}`);

describe("readRulePackZip (central directory, streaming inflate, CRC-32)", () => {
  it("reads a good pack: stored and deflated entries, a data descriptor, fflate's and our own zips", () => {
    const own = read(buildZip([zipEntry("R1.yaml", ruleYaml("R1")), zipEntry("pack/R2.yml", ruleYaml("R2"), 0), { ...zipEntry("R3.yaml", ruleYaml("R3")), dataDescriptor: true }]));
    expect(problems(own)).toEqual([]);
    expect(own.files).toEqual([
      { path: "R1.yaml", text: ruleYaml("R1") },
      { path: "R3.yaml", text: ruleYaml("R3") },
      { path: "pack/R2.yml", text: ruleYaml("R2") },
    ]);
    const exported = read(buildRulePackZip([{ ruleId: "R1", yamlText: ruleYaml("R1") }]));
    expect(problems(exported)).toEqual([]);
    expect(exported.files).toEqual([{ path: "R1.yaml", text: ruleYaml("R1") }]);
    const fflate = read(zipSync({ "a/R1.yaml": strToU8(ruleYaml("R1")), "a/": {}, "notes.txt": strToU8("x") }));
    expect(fflate.files.map((f) => f.path)).toEqual(["a/R1.yaml"]);
    expect(fflate.ignored).toEqual(["notes.txt"]);
  });

  it("refuses an entry whose CRC-32 does not match, deflated or stored, and keeps the others", () => {
    const good = zipEntry("R1.yaml", ruleYaml("R1"));
    const bad = { ...zipEntry("R2.yaml", ruleYaml("R2")), crc: 0x12345678 };
    const storedBad = { ...zipEntry("R3.yaml", ruleYaml("R3"), 0), crc: 1, dataDescriptor: true };
    const r = read(buildZip([good, bad, storedBad]));
    expect(problems(r)).toEqual(["R2.yaml: CRC-32 mismatch: the entry is damaged or was altered", "R3.yaml: CRC-32 mismatch: the entry is damaged or was altered"]);
    expect(r.files.map((f) => f.path)).toEqual(["R1.yaml"]);
  });

  it("refuses a flipped byte inside the deflated data", () => {
    const e = zipEntry("R1.yaml", ruleYaml("R1", { extra: "# padding\n".repeat(50) }));
    const zip = buildZip([e]);
    const at = 30 + "R1.yaml".length + Math.floor(e.data.length / 2);
    zip[at] = (zip[at] ?? 0) ^ 0x10;
    expect(problems(read(zip))).toEqual([expect.stringMatching(/^R1\.yaml: (CRC-32 mismatch|damaged deflate data|unpacks to)/)]);
  });

  it("stops a size lie at the declared size: more data than declared is refused, less too", () => {
    const text = "x".repeat(5000);
    const longer = { ...zipEntry("R1.yaml", text), size: 100 };
    const shorter = { ...zipEntry("R2.yaml", text), size: 6000 };
    const storedLie = { ...zipEntry("R3.yaml", text, 0), size: 10 };
    const r = read(buildZip([longer, shorter, storedLie]));
    expect(problems(r)).toEqual([
      "R1.yaml: unpacks to more than its declared 100 bytes (stopped there)",
      "R2.yaml: unpacks to 5000 bytes, not the declared 6000",
      "R3.yaml: stored entry of 5000 bytes declares 10",
    ]);
    expect(r.files).toEqual([]);
  });

  it("refuses 1 GiB of zeros without inflating it: by its declared size, or, with a patched size, a few MiB in", () => {
    const zeros = deflatedZeros(1024);
    expect(zeros.data.length).toBeLessThan(2 * 1024 * 1024);
    const honest = read(buildZip([{ name: "R1.yaml", method: 8, ...zeros }]));
    expect(problems(honest)).toEqual(["R1.yaml: a rule file may be at most 1 MiB"]);
    expect(honest.inflatedBytes).toBe(0);

    const patched = read(buildZip([{ name: "R1.yaml", method: 8, data: zeros.data, crc: zeros.crc, size: 1000 }]));
    expect(problems(patched)).toEqual(["R1.yaml: unpacks to more than its declared 1000 bytes (stopped there)"]);
    expect(patched.inflatedBytes).toBeGreaterThan(1000);
    expect(patched.inflatedBytes).toBeLessThan(8 * 1024 * 1024);

    // Many honest 1 MiB entries: the total is capped from the declared sizes before inflating.
    const mib = deflatedZeros(1);
    const many = buildZip(Array.from({ length: 70 }, (_, i) => ({ name: `R${i}.yaml`, method: 8 as const, ...mib })));
    const capped = read(many);
    expect(problems(capped)).toContain("(zip): the rule files unpack to more than 64 MiB");
    expect(capped.inflatedBytes).toBeLessThanOrEqual(64 * 1024 * 1024);
  });

  it("refuses traversal and absolute names, ignores what is not a .yaml/.yml rule file", () => {
    const r = read(
      buildZip(
        ["../R1.yaml", "/abs/R2.yaml", "pack\\..\\R3.yaml", "C:/rules/R4.yaml", "a/../../R5.yaml", "R6.json", "R7.yaml.bak", ".R8.yaml", "__MACOSX/._R9.yaml", "win\\R10.yaml"].map((n) =>
          zipEntry(n, ruleYaml("R1")),
        ),
      ),
    );
    expect(problems(r)).toEqual(
      ["../R1.yaml", "/abs/R2.yaml", "pack\\..\\R3.yaml", "C:/rules/R4.yaml", "a/../../R5.yaml"].map((n) => `${n}: unsafe path in the archive: absolute paths and '..' are not allowed`),
    );
    expect(r.ignored).toEqual([".R8.yaml", "R6.json", "R7.yaml.bak", "__MACOSX/._R9.yaml"]);
    expect(r.files.map((f) => f.path)).toEqual(["win/R10.yaml"]);
  });

  it("refuses an archive with too many entries from its end record, before reading any", () => {
    const folders = Array.from({ length: MAX_PACK_ENTRIES + 1 }, (_, i) => ({ name: `d${i}/`, data: new Uint8Array(0), method: 0 as const, size: 0, crc: 0 }));
    expect(problems(read(buildZip(folders)))).toEqual([`(zip): the archive has more than ${MAX_PACK_ENTRIES} entries`]);
    expect(problems(read(buildZip([zipEntry("R1.yaml", "a"), zipEntry("R2.yaml", "b")]), { maxEntries: 1 }))).toEqual(["(zip): the archive has more than 1 entries"]);
  });

  it("refuses local headers that disagree with the central directory and entries that share data", () => {
    const renamed = { ...zipEntry("R1.yaml", ruleYaml("R1")), localName: "R2.yaml" };
    expect(problems(read(buildZip([renamed])))).toEqual(["R1.yaml: the local header does not match the central directory"]);

    // R2's local header and data hide inside R1's stored data.
    const inner = buildZip([zipEntry("R2.yaml", ruleYaml("R2"), 0)]);
    const innerLocal = inner.subarray(0, 30 + "R2.yaml".length + ruleYaml("R2").length);
    const outer = zipEntry("R1.yaml", innerLocal, 0);
    const nested = { ...zipEntry("R2.yaml", ruleYaml("R2"), 0), localOffset: 30 + "R1.yaml".length };
    const overlap = buildZip([outer, nested]);
    expect(problems(read(overlap))).toEqual(["(zip): entries R1.yaml and R2.yaml overlap (a crafted archive)"]);
  });

  it("reports what is not a zip, an oversized archive, encryption and other methods without throwing", () => {
    expect(problems(read(strToU8("rule_id: R1\n")))).toEqual(["(zip): not a readable zip archive (no end of central directory record)"]);
    expect(problems(read(new Uint8Array(100), { maxArchiveBytes: 99 }))).toEqual(["(zip): the archive is larger than 0 MiB"]);
    const truncated = buildZip([zipEntry("R1.yaml", ruleYaml("R1"))]).subarray(0, 40);
    expect(problems(read(truncated))[0]).toMatch(/^\(zip\): not a readable zip archive/);
    const bzip = { ...zipEntry("R1.yaml", "x"), method: 12 as unknown as 8 };
    expect(problems(read(buildZip([bzip])))).toEqual(['R1.yaml: unsupported compression method 12 (re-create the zip with the default "deflate")']);
    const bytes = buildZip([zipEntry("R1.yaml", "x")]);
    const cd = bytes.length - 22 - (46 + "R1.yaml".length);
    bytes[cd + 8] = (bytes[cd + 8] ?? 0) | 1;
    expect(problems(read(bytes))).toEqual(["R1.yaml: encrypted entries are not supported"]);
  });

  it("refuses deflate data that ends early", () => {
    const text = ruleYaml("R1");
    const full = deflateRawSync(new TextEncoder().encode(text));
    const e = { ...zipEntry("R1.yaml", text), data: full.subarray(0, full.length - 4) };
    expect(problems(read(buildZip([e])))[0]).toMatch(/^R1\.yaml: (damaged deflate data|unpacks to \d+ bytes, not the declared)/);
  });
});

describe("readRulePackZipOffThread", () => {
  it("unpacks in a thread with the same result, and refuses a patched-size bomb there", async () => {
    const zip = buildZip([zipEntry("R1.yaml", ruleYaml("R1")), zipEntry("notes.txt", "x")]);
    expect(await readRulePackZipOffThread(zip, LIMITS)).toEqual(read(zip));
    const zeros = deflatedZeros(1024);
    const bomb = buildZip([{ name: "R1.yaml", method: 8, data: zeros.data, crc: zeros.crc, size: 1000 }]);
    const r = await readRulePackZipOffThread(bomb, LIMITS);
    expect(problems(r)).toEqual(["R1.yaml: unpacks to more than its declared 1000 bytes (stopped there)"]);
    // The caller's bytes are copied to the thread, not moved away.
    expect(bomb.length).toBeGreaterThan(0);
  });

  it("stops a thread that takes too long and refuses the archive; more than maxConcurrent at once is BUSY", async () => {
    const zip = buildZip([zipEntry("R1.yaml", ruleYaml("R1"))]);
    expect(problems(await readRulePackZipOffThread(zip, LIMITS, { timeoutMs: 1 }))).toEqual(["(zip): unpacking took longer than 0.001 s and was stopped"]);
    const first = readRulePackZipOffThread(zip, LIMITS, { maxConcurrent: 1 });
    await expect(readRulePackZipOffThread(zip, LIMITS, { maxConcurrent: 1 })).rejects.toMatchObject({ code: "BUSY" });
    expect((await first).files).toHaveLength(1);
  });
});
