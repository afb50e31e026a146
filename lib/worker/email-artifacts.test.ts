import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEmailBodyReader, extractEmailBody } from "./email-artifacts";

const DECKY = "decky-01";
const STORED = "2026-06-20T10:11:12Z_0123456789ab_msg.eml";

let tmp: string;
let root: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "email-artifacts-"));
  root = path.join(tmp, "artifacts");
  fs.mkdirSync(path.join(root, DECKY, "smtp"), { recursive: true });
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function store(content: string | Buffer, name = STORED, decky = DECKY): string {
  const file = path.join(root, decky, "smtp", name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function crlf(lines: string[]): string {
  return lines.join("\r\n");
}

const PLAIN = crlf(["From: a@b.example", "To: c@d.example", "Subject: hi", "", "Please send the wire transfer.", "Thanks", ""]);

describe("createEmailBodyReader", () => {
  it("reads a plain message's body, line endings kept", () => {
    store(PLAIN);
    const read = createEmailBodyReader({ root });
    expect(read({ decky_id: DECKY, stored_as: STORED })).toBe("Please send the wire transfer.\r\nThanks\r\n");
  });

  it("returns null for a missing file, missing or ill-typed ids", () => {
    const read = createEmailBodyReader({ root });
    expect(read({ decky_id: DECKY, stored_as: STORED })).toBeNull();
    store(PLAIN);
    expect(read({ decky_id: DECKY })).toBeNull();
    expect(read({ stored_as: STORED })).toBeNull();
    expect(read({ decky_id: 5, stored_as: STORED })).toBeNull();
    expect(createEmailBodyReader({ root: path.join(tmp, "nowhere") })({ decky_id: DECKY, stored_as: STORED })).toBeNull();
  });

  it("refuses invalid decky_id and stored_as, including traversal and non-ASCII digits", () => {
    store(PLAIN);
    const read = createEmailBodyReader({ root });
    for (const decky_id of ["..", "../decky-01", "Decky-01", "-decky", "decky_01", "a".repeat(64), "decky-01/", "decky-01\n"]) {
      expect(read({ decky_id, stored_as: STORED }), decky_id).toBeNull();
    }
    const bad = [
      "../smtp/" + STORED,
      "..",
      STORED + "\n",
      STORED.replace("2026", "２０２６"),
      STORED.replace("2026", "٢٠٢٦"),
      "2026-06-20T10:11:12Z_0123456789AB_msg.eml",
      "2026-06-20T10:11:12Z_0123456789ab_a/b",
      "2026-06-20T10:11:12Z_0123456789ab_",
      "2026-06-20T10:11:12Z_0123456789ab_" + "a".repeat(256),
    ];
    for (const stored_as of bad) expect(read({ decky_id: DECKY, stored_as }), stored_as).toBeNull();
    // The last segment may hold dots: still confined to the smtp folder by the pattern (no slash).
    store(PLAIN, "2026-06-20T10:11:12Z_0123456789ab_..");
    expect(read({ decky_id: DECKY, stored_as: "2026-06-20T10:11:12Z_0123456789ab_.." })).toContain("wire transfer");
  });

  it("refuses a symlink pointing outside the root and follows one that stays inside", () => {
    const outside = path.join(tmp, "outside.eml");
    fs.writeFileSync(outside, PLAIN);
    fs.symlinkSync(outside, path.join(root, DECKY, "smtp", STORED));
    const read = createEmailBodyReader({ root });
    expect(read({ decky_id: DECKY, stored_as: STORED })).toBeNull();

    const insideName = "2026-06-20T10:11:12Z_0123456789ab_inside.eml";
    const target = store(PLAIN, "real.eml", "other");
    fs.symlinkSync(target, path.join(root, DECKY, "smtp", insideName));
    expect(read({ decky_id: DECKY, stored_as: insideName })).toContain("wire transfer");
  });

  it("refuses a decky folder that is a symlink out of the root", () => {
    const elsewhere = path.join(tmp, "elsewhere");
    fs.mkdirSync(path.join(elsewhere, "smtp"), { recursive: true });
    fs.writeFileSync(path.join(elsewhere, "smtp", STORED), PLAIN);
    fs.symlinkSync(elsewhere, path.join(root, "evil"));
    expect(createEmailBodyReader({ root })({ decky_id: "evil", stored_as: STORED })).toBeNull();
  });

  it("works when the root itself is reached through a symlink", () => {
    store(PLAIN);
    const link = path.join(tmp, "root-link");
    fs.symlinkSync(root, link);
    expect(createEmailBodyReader({ root: link })({ decky_id: DECKY, stored_as: STORED })).toContain("wire transfer");
  });

  it("refuses anything but a regular file", () => {
    fs.mkdirSync(path.join(root, DECKY, "smtp", STORED));
    expect(createEmailBodyReader({ root })({ decky_id: DECKY, stored_as: STORED })).toBeNull();
  });

  it("refuses a file over maxBytes and reads one at the limit", () => {
    store(PLAIN);
    const size = Buffer.byteLength(PLAIN);
    expect(createEmailBodyReader({ root, maxBytes: size - 1 })({ decky_id: DECKY, stored_as: STORED })).toBeNull();
    expect(createEmailBodyReader({ root, maxBytes: size })({ decky_id: DECKY, stored_as: STORED })).toContain("wire transfer");
  });

  it("reads multipart/alternative with a base64 text/plain part", () => {
    const text = Buffer.from("Grüße: please update banking details\r\n", "utf8").toString("base64");
    store(
      crlf([
        "From: a@b.example",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="=_alt 1"',
        "",
        "This is a multi-part message.",
        "--=_alt 1",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p>html first</p>",
        "--=_alt 1",
        "Content-Type: text/plain;",
        "\tcharset=UTF-8",
        "Content-Transfer-Encoding: base64",
        "",
        text.slice(0, 20),
        text.slice(20),
        "--=_alt 1--",
        "epilogue",
      ]),
    );
    expect(createEmailBodyReader({ root })({ decky_id: DECKY, stored_as: STORED })).toBe("Grüße: please update banking details\r\n");
  });
});

describe("extractEmailBody", () => {
  const parse = (s: string | Buffer) => extractEmailBody(typeof s === "string" ? Buffer.from(s, "latin1") : s);

  it("decodes quoted-printable with a charset", () => {
    const body = parse(
      crlf([
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: Quoted-Printable",
        "",
        "Caf=E9 =3D soft=",
        " break, stray = stays=20",
        "",
      ]),
    );
    expect(body).toBe("Café = soft break, stray = stays \r\n");
  });

  // Expected values below were checked against CPython 3.11's email package (policy.default).
  it("decodes quoted-printable oddities as binascii.a2b_qp does", () => {
    expect(parse("Content-Transfer-Encoding: quoted-printable\n\na==b=\rjunk\nc= \nd=4x=G1 e=\n")).toBe("a=bc= \nd=4x=G1 e");
    expect(parse("Content-Transfer-Encoding: quoted-printable\n\nabc=")).toBe("abc");
  });

  it("strips the last part's final line break without a close delimiter, and makes no part of two adjacent delimiters", () => {
    expect(parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nlast part\n\n")).toBe("last part\n");
    expect(parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nlast part\r\n")).toBe("last part");
    expect(parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\nContent-Type: text/plain\n\nsecond\n--b--\n")).toBe("second");
    expect(parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b\nContent-Type: text/plain\n\nsecond\n--b--\n")).toBe("");
    expect(parse("Content-Type: multipart/mixed; boundary=b\n\n--b--\n--b\n\nafter close\n")).toBeNull();
  });

  it("falls back to the first text/html part, raw", () => {
    const body = parse(
      crlf([
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: image/png",
        "Content-Transfer-Encoding: base64",
        "",
        "iVBORw0KGgo=",
        "--b1",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<b>Send</b> it now",
        "--b1",
        "Content-Type: text/html",
        "",
        "<i>second</i>",
        "--b1--",
      ]),
    );
    expect(body).toBe("<b>Send</b> it now");
  });

  it("walks nested multiparts depth first and stops at the inner boundary", () => {
    const body = parse(
      crlf([
        "Content-Type: multipart/mixed; boundary=outer",
        "",
        "--outer",
        "Content-Type: multipart/alternative; boundary=inner",
        "",
        "--inner",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "inner plain",
        "--inner",
        "Content-Type: text/html",
        "",
        "<p>inner html</p>",
        "--inner--",
        "--outer",
        "Content-Type: text/plain",
        "",
        "outer plain",
        "--outer--",
      ]),
    );
    expect(body).toBe("inner plain");
  });

  it("ends an inner part at the outer boundary when the inner close delimiter is missing", () => {
    const body = parse(
      ["Content-Type: multipart/mixed; boundary=outer", "", "--outer", "Content-Type: multipart/alternative; boundary=inner", "", "--inner", "Content-Type: text/html", "", "<p>x</p>", "--outer", "Content-Type: text/plain", "", "after", "--outer--", ""].join("\n"),
    );
    expect(body).toBe("after");
  });

  it("skips a text/plain part with an unknown charset", () => {
    const body = parse(
      crlf([
        "Content-Type: multipart/mixed; boundary=b",
        "",
        "--b",
        "Content-Type: text/plain; charset=x-no-such-charset",
        "",
        "unreadable",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "readable",
        "--b--",
      ]),
    );
    expect(body).toBe("readable");
  });

  it("decodes an absent charset as ASCII with replacement, and message/rfc822 parts", () => {
    expect(parse(Buffer.concat([Buffer.from("Subject: x\n\nna"), Buffer.from([0xef]), Buffer.from("ve\n")]))).toBe("na\ufffdve\n");
    const body = parse(
      crlf(["Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: message/rfc822", "", "Subject: inner", "Content-Type: text/plain; charset=utf-8", "", "forwarded", "--b--"]),
    );
    expect(body).toBe("forwarded");
  });

  it("does not treat a line that only starts with the boundary as a delimiter", () => {
    const body = parse(crlf(["Content-Type: multipart/mixed; boundary=b", "", "--b", "", "keep --b", "--bx", "still", "--b--"]));
    expect(body).toBe("keep --b\r\n--bx\r\nstill");
  });

  it("has no body for a multipart without parts, an image, or a missing boundary parameter", () => {
    expect(parse(crlf(["Content-Type: multipart/mixed; boundary=b", "", "no delimiter here"]))).toBeNull();
    expect(parse(crlf(["Content-Type: image/gif", "", "GIF89a"]))).toBeNull();
    expect(parse(crlf(["Content-Type: multipart/mixed", "", "--b", "", "x", "--b--"]))).toBeNull();
  });

  it("parses large hostile messages quickly: many parts, deep nesting, near-miss delimiters", () => {
    const t0 = performance.now();
    const manyParts = "--b\r\nContent-Type: image/gif\r\n\r\nx\r\n".repeat(100_000);
    expect(parse(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${manyParts}`)).toBeNull();
    let nested = "Content-Type: text/plain\r\n\r\ndeep";
    for (let i = 0; i < 2000; i++) nested = `Content-Type: multipart/mixed; boundary=n${i}\r\n\r\n--n${i}\r\n${nested}\r\n--n${i}--`;
    expect(parse(nested)).toBeNull(); // deeper than the nesting limit
    const nearMiss = "--bx\n".repeat(1_000_000);
    // No close delimiter: the last part runs to the end of the data, less its final line break.
    expect(parse(`Content-Type: multipart/mixed; boundary=b\n\n--b\n\n${nearMiss}`) === nearMiss.slice(0, -1)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
