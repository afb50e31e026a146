// The rule-pack zip reader. It runs in the unzip thread (unzip-pool.ts), so it imports neither the
// rule parser nor anything that loads native addons: fflate, node:zlib and the file-name rule only.
import { crc32 } from "node:zlib";
import { Inflate } from "fflate";
import type { ValidationIssue } from "../errors";
import { isRuleFileName } from "./rule-file-name";
import type { RuleFile } from "./rule-files";

/** Largest rule-pack upload (the zip itself). */
export const MAX_PACK_BYTES = 10 * 1024 * 1024;
/** Entries of any kind a pack may hold (files, folders, ignored junk). */
export const MAX_PACK_ENTRIES = 20_000;
/** Total unpacked size of the rule files: bounds what a small, highly compressed zip can cost. */
export const MAX_PACK_UNPACKED_BYTES = 64 * 1024 * 1024;

/** Where problems about the archive as a whole are reported. */
export const PACK_SOURCE = "(zip)";

export interface PackLimits {
  /** Largest rule file, unpacked (the parser's MAX_RULE_BYTES). */
  maxFileBytes: number;
  maxArchiveBytes?: number;
  maxEntries?: number;
  maxUnpackedBytes?: number;
}

export interface RulePackEntries {
  /** Rule files by their path inside the archive (folders kept, `\` turned into `/`). */
  files: RuleFile[];
  /** Entries that are not rule files: folders, `__MACOSX/`, dotfiles, README.md… (not errors). */
  ignored: string[];
  /** Problems with the archive or its entries; any error means nothing may be imported. */
  issues: ValidationIssue[];
  /** Bytes inflating produced, over every entry (what unpacking cost, refused entries included). */
  inflatedBytes: number;
}

type EntryKind = "unsafe" | "folder" | "ignored" | "rule";

/** What an entry name is: unsafe (absolute or `..`), a folder, junk to ignore, or a rule file. */
export function classifyEntry(name: string): EntryKind {
  const norm = name.replace(/\\/g, "/");
  if (norm.startsWith("/") || /^[A-Za-z]:/.test(norm) || norm.includes("\0")) return "unsafe";
  const segments = norm.split("/");
  if (segments.some((s) => s === "..")) return "unsafe";
  if (norm.endsWith("/")) return "folder";
  if (segments[0] === "__MACOSX" || segments.some((s) => s.startsWith(".") && s !== ".")) return "ignored";
  return isRuleFileName(segments[segments.length - 1] ?? "") ? "rule" : "ignored";
}

function issue(source: string, message: string): ValidationIssue {
  return { source, path: [], line: 1, column: 1, message, severity: "error" };
}

class ZipFormatError extends Error {}

interface CentralEntry {
  name: string;
  nameBytes: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The end record, then every central-directory entry (the archive's authoritative list). */
function readCentralDirectory(b: Uint8Array, maxEntries: number): { entries: CentralEntry[]; cdOffset: number } | { tooMany: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let end = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    // The comment must run exactly to the end of the file, so a signature inside a comment is not taken.
    if (v.getUint32(i, true) === EOCD && i + 22 + v.getUint16(i + 20, true) === b.length) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipFormatError("no end of central directory record");
  if (end >= 20 && v.getUint32(end - 20, true) === ZIP64_LOCATOR) throw new ZipFormatError("ZIP64 archives are not supported");
  const disk = v.getUint16(end + 4, true);
  const cdDisk = v.getUint16(end + 6, true);
  const onDisk = v.getUint16(end + 8, true);
  const total = v.getUint16(end + 10, true);
  const cdSize = v.getUint32(end + 12, true);
  const cdOffset = v.getUint32(end + 16, true);
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new ZipFormatError("ZIP64 archives are not supported");
  if (disk !== 0 || cdDisk !== 0 || onDisk !== total) throw new ZipFormatError("multi-part archives are not supported");
  if (total > maxEntries) return { tooMany: total };
  const cdEnd = cdOffset + cdSize;
  if (cdEnd > end) throw new ZipFormatError("the central directory lies outside the archive");
  const decoder = new TextDecoder("utf-8");
  const latin1 = new TextDecoder("latin1");
  const entries: CentralEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < total; n++) {
    if (p + 46 > cdEnd || v.getUint32(p, true) !== CENTRAL) throw new ZipFormatError("damaged central directory");
    const flags = v.getUint16(p + 8, true);
    const nameLen = v.getUint16(p + 28, true);
    const next = p + 46 + nameLen + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
    if (next > cdEnd) throw new ZipFormatError("damaged central directory");
    const nameBytes = b.subarray(p + 46, p + 46 + nameLen);
    entries.push({
      // Bit 11: the name is UTF-8; otherwise code page 437, read as Latin-1 (rule file names are ASCII).
      name: (flags & 0x800 ? decoder : latin1).decode(nameBytes),
      nameBytes,
      flags,
      method: v.getUint16(p + 10, true),
      crc: v.getUint32(p + 16, true),
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      localOffset: v.getUint32(p + 42, true),
    });
    p = next;
  }
  return { entries, cdOffset };
}

/** Where an entry's data lies, after checking its local header against the central directory. */
function dataRange(b: Uint8Array, e: CentralEntry, cdOffset: number): { start: number; end: number } | string {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const h = e.localOffset;
  if (h + 30 > cdOffset || v.getUint32(h, true) !== LOCAL) return "no local header where the central directory points";
  const nameLen = v.getUint16(h + 26, true);
  const start = h + 30 + nameLen + v.getUint16(h + 28, true);
  const localName = b.subarray(h + 30, h + 30 + nameLen);
  const sameName = localName.length === e.nameBytes.length && localName.every((x, i) => x === e.nameBytes[i]);
  if (!sameName || v.getUint16(h + 8, true) !== e.method) return "the local header does not match the central directory";
  // Without a data descriptor (flag bit 3) the local header repeats the CRC and sizes.
  if (!(v.getUint16(h + 6, true) & 0x8)) {
    if (v.getUint32(h + 14, true) !== e.crc || v.getUint32(h + 18, true) !== e.compressedSize || v.getUint32(h + 22, true) !== e.size) {
      return "the local header's CRC or sizes differ from the central directory";
    }
  }
  const end = start + e.compressedSize;
  if (end > cdOffset) return "the entry's data runs past the end of the file data";
  return { start, end };
}

/** Compressed input per inflate step: output between two size checks is at most ~1,032 × this. */
const INFLATE_STEP = 4096;
const STOP = Symbol("stop");

/** Inflates one entry into exactly its declared size, stopping as soon as it would produce more; then checks the CRC-32. */
function unpack(data: Uint8Array, e: CentralEntry, stats: { inflatedBytes: number }): Uint8Array | string {
  let out: Uint8Array;
  if (e.method === 0) {
    if (data.length !== e.size) return `stored entry of ${data.length} bytes declares ${e.size}`;
    out = data;
  } else {
    out = new Uint8Array(e.size);
    let produced = 0;
    const inflate = new Inflate((chunk) => {
      stats.inflatedBytes += chunk.length;
      if (produced + chunk.length > e.size) throw STOP;
      out.set(chunk, produced);
      produced += chunk.length;
    });
    try {
      if (data.length === 0) inflate.push(data, true);
      for (let off = 0; off < data.length; off += INFLATE_STEP) {
        const last = off + INFLATE_STEP >= data.length;
        inflate.push(data.subarray(off, last ? data.length : off + INFLATE_STEP), last);
      }
    } catch (err) {
      if (err === STOP) return `unpacks to more than its declared ${e.size} bytes (stopped there)`;
      return `damaged deflate data (${err instanceof Error ? err.message : String(err)})`;
    }
    if (produced !== e.size) return `unpacks to ${produced} bytes, not the declared ${e.size}`;
  }
  if (crc32(out) >>> 0 !== e.crc >>> 0) return "CRC-32 mismatch: the entry is damaged or was altered";
  return out;
}

/**
 * Reads a rule-pack zip in memory from its central directory: rule files (any folder depth, name
 * `[A-Za-z0-9_]+.ya?ml`) are inflated and decoded as UTF-8; absolute paths and `..` are refused;
 * folders, `__MACOSX/` and dotfiles are ignored. Sizes are checked before inflating (per file and
 * in total), inflating stops at the declared size and every CRC-32 is verified. CPU-bound (run it
 * off the event loop: readRulePackZipOffThread); never throws for bad input.
 */
export function readRulePackZip(bytes: Uint8Array, limits: PackLimits): RulePackEntries {
  const maxArchive = limits.maxArchiveBytes ?? MAX_PACK_BYTES;
  const maxEntries = limits.maxEntries ?? MAX_PACK_ENTRIES;
  const maxUnpacked = limits.maxUnpackedBytes ?? MAX_PACK_UNPACKED_BYTES;
  const out: RulePackEntries = { files: [], ignored: [], issues: [], inflatedBytes: 0 };
  if (bytes.length > maxArchive) {
    out.issues.push(issue(PACK_SOURCE, `the archive is larger than ${mib(maxArchive)}`));
    return out;
  }
  let dir: ReturnType<typeof readCentralDirectory>;
  try {
    dir = readCentralDirectory(bytes, maxEntries);
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    out.issues.push(issue(PACK_SOURCE, `not a readable zip archive (${err.message})`));
    return out;
  }
  if ("tooMany" in dir) {
    out.issues.push(issue(PACK_SOURCE, `the archive has more than ${maxEntries} entries`));
    return out;
  }

  const wanted: { entry: CentralEntry; start: number; end: number }[] = [];
  const seen = new Set<string>();
  let unpacked = 0;
  let tooBig = false;
  for (const e of dir.entries) {
    const kind = classifyEntry(e.name);
    if (kind === "unsafe") {
      out.issues.push(issue(e.name, "unsafe path in the archive: absolute paths and '..' are not allowed"));
      continue;
    }
    if (kind === "folder") continue;
    if (kind === "ignored") {
      out.ignored.push(e.name);
      continue;
    }
    if (seen.has(e.name)) {
      out.issues.push(issue(e.name, "the archive holds this entry twice"));
      continue;
    }
    seen.add(e.name);
    if (e.flags & 0x1) {
      out.issues.push(issue(e.name, "encrypted entries are not supported"));
      continue;
    }
    if (e.method !== 0 && e.method !== 8) {
      out.issues.push(issue(e.name, `unsupported compression method ${e.method} (re-create the zip with the default "deflate")`));
      continue;
    }
    if (e.size > limits.maxFileBytes) {
      out.issues.push(issue(e.name, `a rule file may be at most ${mib(limits.maxFileBytes)}`));
      continue;
    }
    unpacked += e.size;
    if (unpacked > maxUnpacked) {
      tooBig = true;
      continue;
    }
    const range = dataRange(bytes, e, dir.cdOffset);
    if (typeof range === "string") {
      out.issues.push(issue(e.name, range));
      continue;
    }
    wanted.push({ entry: e, ...range });
  }
  if (tooBig) out.issues.push(issue(PACK_SOURCE, `the rule files unpack to more than ${mib(maxUnpacked)}`));

  // Entries sharing compressed data let a small archive stand for many large files.
  const byOffset = [...wanted].sort((a, b) => a.entry.localOffset - b.entry.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (prev && cur && cur.entry.localOffset < prev.end) {
      out.issues.push(issue(PACK_SOURCE, `entries ${prev.entry.name} and ${cur.entry.name} overlap (a crafted archive)`));
      return out;
    }
  }

  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (const { entry, start, end } of wanted) {
    const data = unpack(bytes.subarray(start, end), entry, out);
    if (typeof data === "string") {
      out.issues.push(issue(entry.name, data));
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(data);
    } catch {
      out.issues.push(issue(entry.name, "not UTF-8 text"));
      continue;
    }
    out.files.push({ path: entry.name.replace(/\\/g, "/"), text });
  }
  out.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  out.ignored.sort();
  return out;
}

function mib(n: number): string {
  return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
}
