// The e-mail disk reach of DECNET's email analyzers (analyzers.md §3.5.4), for workers only: the
// stored .eml of an email event, parsed as MIME, gives the body that R0047/R0048 read when the
// payload carries no body_text.
//
// The MIME parser is hand-written because it must run synchronously inside the engine's
// synchronous evaluation: postal-mime's parse is asynchronous end to end (its decoders finish
// through Blob.arrayBuffer()), mailparser and mailsplit are streams; the synchronous parsers on
// the registry are unmaintained or unsafe on hostile input (emailjs-mime-parser spreads the whole
// input as call arguments and copies every node's raw text; letterparser works on strings and
// rescans for boundaries quadratically). Only what body selection needs is here: headers with
// folding, nested multipart boundaries, message/* sub-messages, base64, quoted-printable,
// charsets through TextDecoder. It works on bytes, in time linear in the input per nesting level.
import * as fs from "node:fs";
import * as path from "node:path";

const DECKY_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
// ASCII digits only (Python's \d also accepts other Unicode decimal digits).
const STORED_AS = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z_[a-f0-9]{12}_[A-Za-z0-9._-]{1,255}$/;

export const DEFAULT_EMAIL_MAX_BYTES = 10 * 1024 * 1024;

/**
 * A reader of stored e-mail bodies under `root` (`<root>/<decky_id>/smtp/<stored_as>`, both taken
 * from the payload and validated). Synchronous; returns null for anything it refuses or cannot
 * read or parse: invalid ids, a path that resolves (through symlinks) outside the root, a
 * non-regular file, a file over `maxBytes` (default 10 MiB), no text/plain or text/html body.
 */
export function createEmailBodyReader(opts: { root: string; maxBytes?: number }): (payload: Readonly<Record<string, unknown>>) => string | null {
  const maxBytes = opts.maxBytes ?? DEFAULT_EMAIL_MAX_BYTES;
  return (payload) => {
    const deckyId = ownValue(payload, "decky_id");
    const storedAs = ownValue(payload, "stored_as");
    if (typeof deckyId !== "string" || typeof storedAs !== "string") return null;
    if (!DECKY_ID.test(deckyId) || !STORED_AS.test(storedAs)) return null;
    const raw = readContained(opts.root, [deckyId, "smtp", storedAs], maxBytes);
    if (raw === null) return null;
    try {
      return extractEmailBody(raw);
    } catch {
      return null; // a message this parser cannot handle has no body, as upstream's parse error does
    }
  };
}

function ownValue(o: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** The bytes of a regular file strictly inside realpath(root), at most maxBytes, or null. */
function readContained(root: string, segments: readonly string[], maxBytes: number): Buffer | null {
  let fd: number | null = null;
  try {
    const realRoot = fs.realpathSync(root);
    const real = fs.realpathSync(path.join(realRoot, ...segments));
    const rel = path.relative(realRoot, real);
    if (rel === "" || rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
    if (!fs.lstatSync(real).isFile()) return null;
    // O_NOFOLLOW: the resolved path must not have become a symlink since; O_NONBLOCK: never wait on a FIFO swapped in.
    const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
    fd = fs.openSync(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return null;
    const buf = Buffer.allocUnsafe(st.size + 1);
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total === buf.length) break;
    }
    if (total > st.size) return null; // grew while being read
    return buf.subarray(0, total);
  } catch {
    return null; // missing file, permission, I/O: no body (the caller logs nothing per event)
  } finally {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // closing a read-only descriptor cannot lose data; nothing to report
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MIME

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;
const MAX_DEPTH = 32;
const MAX_ENTITIES = 10_000;

interface Entity {
  /** Lowercased header name → first value, unfolded. */
  readonly headers: ReadonlyMap<string, string>;
  readonly bodyStart: number;
  readonly bodyEnd: number;
}

/**
 * The body DECNET's email lifter takes from a message (§3.5.4 step 5): depth-first, the first
 * text/plain part that decodes (transfer encoding, then charset; an unknown charset skips the
 * part), else the first text/html part that decodes, as raw HTML. Null when there is neither.
 */
export function extractEmailBody(raw: Uint8Array): string | null {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const html: Entity[] = [];
  let entities = 0;
  let plain: string | null = null;

  const visit = (start: number, end: number, defaultType: string, depth: number): boolean => {
    if (++entities > MAX_ENTITIES || depth > MAX_DEPTH) return false;
    const entity = parseHeaders(buf, start, end);
    const ct = entity.headers.get("content-type");
    const type = contentType(ct, defaultType);
    const params = ct === undefined ? [] : parseParams(ct);
    const [maintype] = type.split("/");
    if (type === "text/plain") {
      const text = decodeText(buf, entity, params);
      if (text !== null) {
        plain = text;
        return true;
      }
      return false;
    }
    if (type === "text/html") {
      html.push(entity);
      return false;
    }
    if (maintype === "multipart") {
      const boundary = getParam(params, "boundary");
      if (boundary === null) return false;
      const childType = type === "multipart/digest" ? "message/rfc822" : "text/plain";
      for (const [s, e] of splitMultipart(buf, entity.bodyStart, entity.bodyEnd, Buffer.from(`--${boundary.trimEnd()}`, "latin1"))) {
        if (visit(s, e, childType, depth + 1)) return true;
      }
      return false;
    }
    if (maintype === "message" && type !== "message/delivery-status") {
      return visit(entity.bodyStart, entity.bodyEnd, "text/plain", depth + 1);
    }
    return false;
  };

  if (visit(0, buf.length, "text/plain", 0)) return plain;
  for (const entity of html) {
    const params = parseParams(entity.headers.get("content-type") ?? "");
    const text = decodeText(buf, entity, params);
    if (text !== null) return text;
  }
  return null;
}

/** End of the line starting at `pos` (before its CR, LF or CRLF) and the start of the next one. */
function lineAt(buf: Buffer, pos: number, end: number): [number, number] {
  let i = pos;
  while (i < end && buf[i] !== LF && buf[i] !== CR) i++;
  if (i >= end) return [end, end];
  if (buf[i] === CR && i + 1 < end && buf[i + 1] === LF) return [i, i + 2];
  return [i, i + 1];
}

/**
 * Headers as Python's feed parser reads them: up to the first empty line (consumed) or the first
 * line that is neither a header (`name:` with printable ASCII name bytes) nor a continuation,
 * which starts the body. "From " envelope lines are ignored, as is a leading continuation line.
 */
function parseHeaders(buf: Buffer, start: number, end: number): Entity {
  const headers = new Map<string, string>();
  let name: string | null = null;
  let value = "";
  const flush = () => {
    if (name !== null && !headers.has(name)) headers.set(name, value);
    name = null;
  };
  let pos = start;
  while (pos < end) {
    const [lineEnd, next] = lineAt(buf, pos, end);
    if (lineEnd === pos) {
      pos = next;
      break;
    }
    const first = buf[pos];
    if (first === SP || first === TAB) {
      if (name !== null) value += buf.toString("latin1", pos, lineEnd);
      pos = next;
      continue;
    }
    if (startsWith(buf, pos, lineEnd, "From ")) {
      flush();
      pos = next;
      continue;
    }
    let colon = -1;
    for (let i = pos; i < lineEnd; i++) {
      const c = buf[i] as number;
      if (c === 0x3a) {
        colon = i;
        break;
      }
      if (c < 0x21 || c > 0x7e) break;
    }
    if (colon < 0) break; // not a header: the body starts here (a missing separator)
    flush();
    name = buf.toString("latin1", pos, colon).toLowerCase();
    value = buf.toString("latin1", colon + 1, lineEnd).replace(/^[ \t]+/, "");
    pos = next;
  }
  flush();
  return { headers, bodyStart: Math.min(pos, end), bodyEnd: end };
}

function startsWith(buf: Buffer, pos: number, end: number, text: string): boolean {
  if (end - pos < text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[pos + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Python's get_content_type: the lowercased type, the default when absent, text/plain when malformed. */
function contentType(header: string | undefined, defaultType: string): string {
  if (header === undefined) return defaultType;
  const semi = header.indexOf(";");
  const type = (semi >= 0 ? header.slice(0, semi) : header).trim().toLowerCase();
  return type.split("/").length === 2 ? type : "text/plain";
}

/** `name=value` parameters after the first ";" (quoted strings unquoted), names lowercased, in order. */
function parseParams(header: string): [string, string][] {
  const out: [string, string][] = [];
  const segments: string[] = [];
  let cur = "";
  let quoted = false;
  let started = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i] as string;
    if (quoted && c === "\\" && i + 1 < header.length) {
      cur += c + header[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ";" && !quoted) {
      if (started) segments.push(cur);
      started = true;
      cur = "";
      continue;
    }
    cur += c;
  }
  if (started) segments.push(cur);
  for (const seg of segments) {
    const eq = seg.indexOf("=");
    if (eq < 0) continue;
    const name = seg.slice(0, eq).trim().toLowerCase();
    let value = seg.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, "$1");
    out.push([name, value.replace(/[\r\n]/g, "")]);
  }
  return out;
}

/** A parameter's value, with RFC 2231 extended (`name*`) and continued (`name*0`, `name*1*`…) forms. */
function getParam(params: readonly [string, string][], key: string): string | null {
  for (const [n, v] of params) if (n === key) return v;
  for (const [n, v] of params) if (n === `${key}*`) return decode2231(v);
  const parts: [number, string, boolean][] = [];
  const re = new RegExp(`^${key}\\*(\\d+)(\\*?)$`);
  for (const [n, v] of params) {
    const m = re.exec(n);
    if (m) parts.push([Number(m[1]), v, m[2] === "*"]);
  }
  if (parts.length === 0) return null;
  parts.sort((a, b) => a[0] - b[0]);
  let charset = "utf-8";
  let bytes = "";
  parts.forEach(([, v, ext], i) => {
    if (ext && i === 0) {
      const q = v.split("'");
      if (q.length >= 3) {
        charset = q[0] || "utf-8";
        v = q.slice(2).join("'");
      }
    }
    bytes += ext ? unpercent(v) : v;
  });
  return decodeLatin1As(bytes, charset);
}

/** An RFC 2231 extended value: `charset'language'percent-encoded`. */
function decode2231(v: string): string {
  const q = v.split("'");
  if (q.length < 3) return decodeLatin1As(unpercent(v), "utf-8");
  return decodeLatin1As(unpercent(q.slice(2).join("'")), q[0] || "utf-8");
}

/** %XX escapes to the latin1 string of their bytes. */
function unpercent(v: string): string {
  return v.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function decodeLatin1As(latin1: string, charset: string): string {
  const text = decodeBytes(Buffer.from(latin1, "latin1"), charset);
  return text ?? latin1;
}

/**
 * The [start, end) ranges of a multipart body's parts. A delimiter is a line starting with
 * `--boundary`, then an optional `--` (close), spaces or tabs, and the end of the line; the line
 * break before it belongs to it. No delimiter: no parts. No close delimiter: the last part runs to
 * the end (less its final line break, as Python does).
 */
function splitMultipart(buf: Buffer, start: number, end: number, delimiter: Buffer): [number, number][] {
  const region = buf.subarray(start, end);
  const parts: [number, number][] = [];
  let partStart = -1;
  let from = 0;
  while (from <= region.length) {
    const at = region.indexOf(delimiter, from);
    if (at < 0) break;
    from = at + 1;
    if (at > 0 && region[at - 1] !== LF && region[at - 1] !== CR) continue;
    let i = at + delimiter.length;
    let close = false;
    if (region[i] === 0x2d && region[i + 1] === 0x2d) {
      close = true;
      i += 2;
    }
    while (i < region.length && (region[i] === SP || region[i] === TAB)) i++;
    let next: number;
    if (i >= region.length) next = region.length;
    else if (region[i] === CR) next = region[i + 1] === LF ? i + 2 : i + 1;
    else if (region[i] === LF) next = i + 1;
    else continue;
    // Two delimiters with not even a line between them make no part.
    if (partStart >= 0 && at > partStart) parts.push([start + partStart, start + withoutFinalEol(region, partStart, at)]);
    if (close) return parts;
    partStart = next;
    from = next;
  }
  if (partStart >= 0 && region.length > partStart) parts.push([start + partStart, start + withoutFinalEol(region, partStart, region.length)]);
  return parts;
}

/** `end` less one line break (CRLF, LF or CR) right before it. */
function withoutFinalEol(region: Buffer, start: number, end: number): number {
  if (end > start && region[end - 1] === LF) end--;
  else if (end > start && region[end - 1] === CR) return end - 1;
  if (end > start && region[end - 1] === CR) end--;
  return end;
}

/** The entity's body decoded: transfer encoding, then charset (absent: ASCII). Null for an unknown charset. */
function decodeText(buf: Buffer, entity: Entity, params: readonly [string, string][]): string | null {
  const body = buf.subarray(entity.bodyStart, entity.bodyEnd);
  const cte = (entity.headers.get("content-transfer-encoding") ?? "").trim().toLowerCase();
  const bytes = cte === "base64" ? decodeBase64(body) : cte === "quoted-printable" ? decodeQuotedPrintable(body) : body;
  return decodeBytes(bytes, getParam(params, "charset") ?? "us-ascii");
}

function decodeBase64(body: Buffer): Buffer {
  const kept = Buffer.allocUnsafe(body.length);
  let n = 0;
  for (const c of body) {
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47) kept[n++] = c;
  }
  return Buffer.from(kept.toString("latin1", 0, n), "base64");
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Quoted-printable as CPython's binascii.a2b_qp decodes it (what Python's email package uses). */
function decodeQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length);
  let n = 0;
  let i = 0;
  while (i < body.length) {
    const c = body[i] as number;
    if (c !== 0x3d) {
      out[n++] = c;
      i++;
      continue;
    }
    i++;
    if (i >= body.length) break; // a final "=" is dropped
    const next = body[i] as number;
    if (next === LF || next === CR) {
      // A soft line break; after a CR everything up to the LF goes with it.
      while (i < body.length && body[i] !== LF) i++;
      if (i < body.length) i++;
      continue;
    }
    if (next === 0x3d) {
      out[n++] = 0x3d; // "==" is one "="
      i++;
      continue;
    }
    const hi = hexValue(next);
    const lo = hexValue(body[i + 1]);
    if (hi >= 0 && lo >= 0) {
      out[n++] = hi * 16 + lo;
      i += 2;
      continue;
    }
    out[n++] = 0x3d; // a stray "=" stays; what follows is read as usual
  }
  return out.subarray(0, n);
}

const ASCII_LABELS = new Set(["us-ascii", "ascii", "us_ascii", "646", "ansi_x3.4-1968", "iso646-us"]);
const LATIN1_LABELS = new Set(["latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "iso_8859-1", "iso8859_1", "l1"]);

/**
 * Bytes to text as Python's `bytes.decode(charset, errors="replace")`, through TextDecoder (WHATWG
 * labels). ASCII and Latin-1 are decoded here because WHATWG maps both to windows-1252. Null for a
 * charset TextDecoder does not know (Python's LookupError skips the part).
 */
function decodeBytes(bytes: Uint8Array, charset: string): string | null {
  const label = charset.trim().toLowerCase();
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ASCII_LABELS.has(label)) return buf.toString("latin1").replace(/[\x80-\xff]/g, "\ufffd");
  if (LATIN1_LABELS.has(label)) return buf.toString("latin1");
  for (const candidate of label.includes("_") ? [label, label.replace(/_/g, "-")] : [label]) {
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(candidate, { ignoreBOM: true });
    } catch {
      continue; // not a WHATWG label: try the next spelling
    }
    return decoder.decode(bytes);
  }
  return null;
}
