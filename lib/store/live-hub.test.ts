import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, type TestPgDatabase } from "../../db/testing/pg";
import { DatabaseRuleStore } from "./database-store";
import { FilesystemRuleStore } from "./filesystem-store";
import { LiveHub, type LiveClient, type LiveCloseReason } from "./live-hub";
import { validRuleYaml, waitFor } from "./testing/fixtures";
import type { ChangeEvent, RuleStore } from "./types";

/** What a test client receives: "<seq>" per change, "resync" for a reload. */
function encode(change: ChangeEvent): Promise<string | null> {
  return Promise.resolve(change.kind === "resync" ? "resync" : String(change.seq));
}

interface TestClient extends LiveClient<string> {
  got: string[];
  closed: LiveCloseReason | null;
  abort: AbortController;
}

/** A client whose queue holds `capacity` payloads (Infinity: never full). */
function client(capacity = Infinity): TestClient {
  const c: TestClient = {
    got: [],
    closed: null,
    abort: new AbortController(),
    push(payload) {
      if (c.got.length >= capacity) return false;
      c.got.push(payload);
      return true;
    },
    close(reason) {
      c.closed = reason;
    },
  };
  return c;
}

/** The real store, with its feed subscriptions counted. */
function counted(store: RuleStore): { store: Pick<RuleStore, "subscribeChanges" | "headSeq">; subscriptions: () => number } {
  let n = 0;
  return {
    store: {
      headSeq: () => store.headSeq(),
      subscribeChanges: (options) => {
        n++;
        return store.subscribeChanges(options);
      },
    },
    subscriptions: () => n,
  };
}

const hubs: LiveHub<string>[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
  for (const c of closers.splice(0).reverse()) await c();
});

function hubOver(store: Pick<RuleStore, "subscribeChanges" | "headSeq">, options: { ringSize?: number; maxCatchUp?: number; lingerMs?: number } = {}): LiveHub<string> {
  const hub = new LiveHub<string>({ store, encode, lingerMs: 0, ...options });
  hubs.push(hub);
  return hub;
}

function attach(hub: LiveHub<string>, c: TestClient, lastSeq: number | null): Promise<void> {
  return hub.attach(c, { lastSeq, signal: c.abort.signal });
}

/** Toggles R1 n times; returns the seqs written. */
async function writeChanges(store: RuleStore, n: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) await store.setState("R1", { state: "disabled", reason: `change ${i}` }, "writer");
    else await store.clearState("R1", "writer", `change ${i}`);
    seqs.push(await store.headSeq());
  }
  return seqs;
}

const strs = (seqs: number[]): string[] => seqs.map(String);

function databaseSuite(name: string, url: () => string): void {
  describe(`LiveHub on ${name}`, () => {
    /** The server's store and a second instance writing, as another process would. */
    async function stores(): Promise<{ server: DatabaseRuleStore; writer: DatabaseRuleStore }> {
      const server = new DatabaseRuleStore({ url: url(), expiry: false });
      const writer = new DatabaseRuleStore({ url: url(), expiry: false });
      closers.push(() => server.close(), () => writer.close());
      await Promise.all([server.ready(), writer.ready()]);
      await writer.upsertRule(validRuleYaml("R1"), { actor: "setup" }).catch(() => undefined);
      return { server, writer };
    }

    it("serves N clients from one feed subscription: feed reads per change do not grow with N", async () => {
      const { server, writer } = await stores();
      const c = counted(server);
      const hub = hubOver(c.store);
      const clients = Array.from({ length: 20 }, () => client());
      for (const x of clients) await attach(hub, x, null);
      const readsBefore = server.feedReads;
      const seqs = await writeChanges(writer, 20);
      await waitFor(() => clients.every((x) => x.got.length === seqs.length), 5000, "every client to get every change");
      const reads = server.feedReads - readsBefore;
      for (const x of clients) expect(x.got).toEqual(strs(seqs));
      expect(c.subscriptions()).toBe(1);
      // Per-tab tails read once per change each (≥ 20 × 20 here); the hub's one tail plus the store's own loop read about twice per change.
      expect(reads).toBeLessThanOrEqual(3 * seqs.length + 10);
      expect(hub.stats()).toMatchObject({ feedSubscriptions: 1, catchUps: 0, clients: 20, running: true });
    });

    it("resumes a client by its last seq from the ring without reading the feed again", async () => {
      const { server, writer } = await stores();
      const c = counted(server);
      const hub = hubOver(c.store);
      const first = client();
      await attach(hub, first, null);
      const seqs = await writeChanges(writer, 5);
      await waitFor(() => first.got.length === 5, 5000, "the first client");
      const again = client();
      await attach(hub, again, seqs[1] ?? 0);
      expect(again.got).toEqual(strs(seqs.slice(2)));
      const more = await writeChanges(writer, 1);
      await waitFor(() => again.got.length === 4, 5000, "the live change");
      expect(again.got).toEqual(strs([...seqs.slice(2), ...more]));
      expect(c.subscriptions()).toBe(1);
      expect(hub.stats().catchUps).toBe(0);
    });

    it("resumes a client from before the ring by reading the missed changes from the feed, then goes live", async () => {
      const { server, writer } = await stores();
      const startHead = await server.headSeq();
      const early = await writeChanges(writer, 3);
      const hub = hubOver(server, { ringSize: 3 });
      const keeper = client();
      await attach(hub, keeper, null);
      const seqs = await writeChanges(writer, 8);
      await waitFor(() => keeper.got.length === 8, 5000, "the first client");
      // Seen up to the second change since the hub started: the ring (3) no longer reaches back there.
      const resumed = client();
      await attach(hub, resumed, seqs[1] ?? 0);
      expect(resumed.got).toEqual(strs(seqs.slice(2)));
      // Seen nothing since before the hub started.
      const older = client();
      await attach(hub, older, startHead);
      expect(older.got).toEqual(strs([...early, ...seqs]));
      const live = await writeChanges(writer, 1);
      await waitFor(() => resumed.got.length === 7 && older.got.length === 12, 5000, "the live change");
      expect(resumed.got.at(-1)).toBe(String(live[0]));
      expect(older.got.at(-1)).toBe(String(live[0]));
      expect(hub.stats()).toMatchObject({ catchUps: 2, feedSubscriptions: 3 });
    });

    it("tells a client to reload when it missed more than maxCatchUp changes or its seq is beyond the feed's head", async () => {
      const { server, writer } = await stores();
      const startHead = await server.headSeq();
      const seqs = await writeChanges(writer, 6);
      const hub = hubOver(server, { ringSize: 2, maxCatchUp: 4 });
      const tooFar = client();
      await attach(hub, tooFar, startHead);
      expect(tooFar.got).toEqual(["resync"]);
      const fromElsewhere = client();
      await attach(hub, fromElsewhere, (seqs.at(-1) ?? 0) + 100);
      expect(fromElsewhere.got).toEqual(["resync"]);
      const live = await writeChanges(writer, 1);
      await waitFor(() => tooFar.got.length === 2 && fromElsewhere.got.length === 2, 5000, "the live change");
      expect(tooFar.got[1]).toBe(String(live[0]));
    });

    it("drops a client whose queue is full without holding up the others; it resumes from where it stopped", async () => {
      const { server, writer } = await stores();
      const hub = hubOver(server);
      const slow = client(2);
      const fast = [client(), client()];
      await attach(hub, slow, null);
      for (const x of fast) await attach(hub, x, null);
      const seqs = await writeChanges(writer, 10);
      await waitFor(() => fast.every((x) => x.got.length === 10), 5000, "the fast clients");
      for (const x of fast) expect(x.got).toEqual(strs(seqs));
      expect(slow.closed).toBe("overflow");
      expect(slow.got).toEqual(strs(seqs.slice(0, 2)));
      expect(hub.stats()).toMatchObject({ overflows: 1, clients: 2, running: true });
      const back = client();
      await attach(hub, back, Number(slow.got.at(-1)));
      expect(back.got).toEqual(strs(seqs.slice(2)));
    });

    it("starts with the first client and stops its feed subscription when the last one leaves", async () => {
      const { server, writer } = await stores();
      const c = counted(server);
      const hub = hubOver(c.store);
      expect(hub.stats().running).toBe(false);
      const a = client();
      await attach(hub, a, null);
      expect(hub.stats().running).toBe(true);
      a.abort.abort();
      await waitFor(() => !hub.stats().running, 5000, "the hub to stop");
      const b = client();
      await attach(hub, b, null);
      const seqs = await writeChanges(writer, 1);
      await waitFor(() => b.got.length === 1, 5000, "the change");
      expect(b.got).toEqual(strs(seqs));
      expect(a.got).toEqual([]);
      expect(c.subscriptions()).toBe(2);
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ttp-live-hub-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let sqliteN = 0;
describe("SQLite file", () => {
  afterEach(() => {
    sqliteN++;
  });
  databaseSuite("a SQLite file", () => `file:${path.join(dir, `hub-${sqliteN}.db`)}`);
});

describe("PostgreSQL", () => {
  let db: TestPgDatabase;
  beforeAll(async () => {
    db = await createTestPgDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  databaseSuite("PostgreSQL", () => db.url);
});

describe("LiveHub on the filesystem backend", () => {
  it("streams changes to every client and resumes from the ring within the process", async () => {
    const rulesDir = await mkdtemp(path.join(dir, "rules-"));
    await writeFile(path.join(rulesDir, "R1.yaml"), validRuleYaml("R1"));
    const store = new FilesystemRuleStore({ dir: rulesDir, watch: false });
    closers.push(() => store.close());
    await store.ready();
    const c = counted(store);
    const hub = hubOver(c.store);
    const a = client();
    const b = client();
    await attach(hub, a, null);
    await attach(hub, b, null);
    const seqs = await writeChanges(store, 4);
    await waitFor(() => a.got.length === 4 && b.got.length === 4, 5000, "both clients");
    expect(a.got).toEqual(strs(seqs));
    expect(b.got).toEqual(strs(seqs));
    const resumed = client();
    await attach(hub, resumed, seqs[1] ?? 0);
    expect(resumed.got).toEqual(strs(seqs.slice(2)));
    expect(c.subscriptions()).toBe(1);
    const fromAnotherProcess = client();
    await attach(hub, fromAnotherProcess, (seqs.at(-1) ?? 0) + 50);
    expect(fromAnotherProcess.got).toEqual(["resync"]);
  });
});
