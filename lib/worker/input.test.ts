import { readdirSync, readlinkSync } from "node:fs";
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TextBlock } from "./evaluate-block";
import { fileInput, InputControl, streamInput } from "./input";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ttp-input-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Descriptors of this process open on `file` (Linux /proc). */
const openFds = (file: string): number =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;

const text = (blocks: TextBlock[]): string => blocks.map((b) => Buffer.from(b.bytes).toString("utf8")).join("");

/** Collects blocks in the background; `until` polls what has been read so far. */
function collect(gen: AsyncGenerator<TextBlock>): { blocks: TextBlock[]; done: Promise<void>; until(s: string): Promise<void> } {
  const blocks: TextBlock[] = [];
  const done = (async () => {
    for await (const b of gen) blocks.push(b);
  })();
  return {
    blocks,
    done,
    async until(s: string) {
      const deadline = Date.now() + 5000;
      while (!text(blocks).includes(s)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(s)}; have ${JSON.stringify(text(blocks))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

describe("streamInput", () => {
  it("yields complete lines only, keeps a split multi-byte character whole, and ends with the unterminated last line", async () => {
    const s = new PassThrough();
    const c = collect(streamInput(s, { control: new InputControl() }));
    const bytes = Buffer.from("a1\nü-split\nlast", "utf8");
    s.write(bytes.subarray(0, 4)); // "a1\n" + the first byte of "ü"
    await c.until("a1\n");
    s.write(bytes.subarray(4));
    s.end();
    await c.done;
    expect(text(c.blocks)).toBe("a1\nü-split\nlast");
    expect(c.blocks.every((b) => b.bytes.byteOffset === 0 && b.bytes.byteLength === (b.bytes.buffer as ArrayBuffer).byteLength)).toBe(true);
  });

  it("on drain, finishes what the pipe holds and ends once it is idle, without waiting for the end of the stream", async () => {
    const s = new PassThrough();
    const control = new InputControl();
    const c = collect(streamInput(s, { control, drainIdleMs: 30 }));
    s.write("x1\n");
    await c.until("x1\n");
    control.drain();
    s.write("x2\n");
    await c.done;
    expect(text(c.blocks)).toBe("x1\nx2\n");
    s.destroy();
  });
});

describe("fileInput", () => {
  it("reads a file in blocks and ends at its end without --follow", async () => {
    const file = path.join(dir, "plain.jsonl");
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    await writeFile(file, lines.join("\n"));
    const c = collect(fileInput(file, { control: new InputControl(), follow: false, blockBytes: 4096 }));
    await c.done;
    expect(c.blocks.length).toBeGreaterThan(10);
    expect(text(c.blocks)).toBe(lines.join("\n"));
  });

  it("carries lines longer than a read over several reads and cuts one past maxLineBytes", async () => {
    const file = path.join(dir, "long.jsonl");
    const lines = ["short", "y".repeat(1000), "", "z".repeat(70), "w".repeat(5000), "end"];
    await writeFile(file, lines.join("\n") + "\n");
    const c = collect(fileInput(file, { control: new InputControl(), follow: false, blockBytes: 64, maxLineBytes: 3000 }));
    await c.done;
    expect(text(c.blocks)).toBe(lines.join("\n") + "\n");
    // Every block but the cut one ends with a newline; the cut one is longer than maxLineBytes and has none.
    const cut = c.blocks.filter((b) => b.bytes[b.bytes.length - 1] !== 10);
    expect(cut).toHaveLength(1);
    expect(cut[0]?.bytes.length).toBeGreaterThan(3000);
  });

  it("stops reading when the consumer stops early and closes the file", async () => {
    const file = path.join(dir, "early.jsonl");
    await writeFile(file, Array.from({ length: 500 }, (_, i) => `line ${i}`).join("\n"));
    const gen = fileInput(file, { control: new InputControl(), follow: false, blockBytes: 256 });
    const first = await gen.next();
    expect(Buffer.from((first.value as TextBlock).bytes).toString()).toMatch(/^line 0\n/);
    expect(openFds(file)).toBe(1);
    // return() waits for the read already under way, then closes the file.
    await gen.return(undefined);
    expect(openFds(file)).toBe(0);
    expect((await gen.next()).done).toBe(true);
  });

  it("follows growth, re-reads a truncated file from its start and switches to the new file after a rotation", async () => {
    const file = path.join(dir, "follow.jsonl");
    await writeFile(file, "one\n");
    const control = new InputControl();
    const c = collect(fileInput(file, { control, follow: true, pollMs: 5 }));
    await c.until("one\n");
    await appendFile(file, "two\npart");
    await c.until("two\n");
    await appendFile(file, "ial\n");
    await c.until("partial\n");
    await truncate(file, 0);
    await writeFile(file, "three\n");
    await c.until("three\n");
    const restartAfterTruncate = c.blocks.at(-1)?.restart;
    await appendFile(file, "old-tail");
    await rename(file, `${file}.1`);
    await writeFile(file, "four\n");
    await c.until("four\n");
    control.drain();
    await c.done;
    expect(text(c.blocks)).toBe("one\ntwo\npartial\nthree\nold-tail" + "four\n");
    expect(restartAfterTruncate).toBe(true);
    expect(c.blocks.filter((b) => b.restart).length).toBe(2);
  });

  it("starts at the end with fromEnd", async () => {
    const file = path.join(dir, "from-end.jsonl");
    await writeFile(file, "old\n");
    const control = new InputControl();
    const c = collect(fileInput(file, { control, follow: true, fromEnd: true, pollMs: 5 }));
    await new Promise((r) => setTimeout(r, 30));
    await appendFile(file, "new\n");
    await c.until("new\n");
    control.stop();
    await c.done;
    expect(text(c.blocks)).toBe("new\n");
  });
});
