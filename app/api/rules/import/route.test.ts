// POST /api/rules/import called as Next.js calls it, on real stores; only Next's request scope
// (the session cookie) is stood in for.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ruleYaml } from "../../../../lib/rules/testing/fixtures";
import { buildZip, deflatedZeros, zipEntry } from "../../../../lib/rules/testing/zip-builder";
import { MAX_IMPORT_REQUEST_BYTES, planFromPreview, type ImportApplyData, type ImportPreviewData } from "../../../_lib/transfer";
import { installTestServices, type TestServices } from "../../../_server/testing/services";
import { POST } from "./route";

vi.mock("server-only", () => ({}));
const cookie = vi.hoisted(() => ({ session: "" }));
vi.mock("next/headers", () => ({
  cookies: async () => ({ get: (name: string) => (name === "ttp_session" && cookie.session ? { name, value: cookie.session } : undefined) }),
  headers: async () => new Headers(),
}));

const HOST = "console.test:3000";
const URL_BASE = `http://${HOST}/api/rules/import`;

interface Call {
  step?: string;
  zip?: Uint8Array;
  fields?: Record<string, string>;
  bearer?: string;
  origin?: string | null;
  body?: BodyInit;
  headers?: Record<string, string>;
}

function form(zip: Uint8Array | undefined, fields: Record<string, string> = {}, name = "pack.zip"): FormData {
  const fd = new FormData();
  if (zip) fd.set("file", new File([zip as Uint8Array<ArrayBuffer>], name, { type: "application/zip" }));
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  return fd;
}

function call(c: Call): Promise<Response> {
  const headers: Record<string, string> = { host: HOST, ...c.headers };
  if (c.bearer) headers.authorization = `Bearer ${c.bearer}`;
  if (c.origin !== null) headers.origin = c.origin ?? `http://${HOST}`;
  const body = c.body ?? form(c.zip, c.fields);
  return POST(new Request(`${URL_BASE}?step=${c.step ?? "preview"}`, { method: "POST", headers, body, duplex: "half" } as RequestInit));
}

async function json<T>(res: Response): Promise<{ status: number; body: T }> {
  return { status: res.status, body: (await res.json()) as T };
}

describe("POST /api/rules/import", () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await installTestServices(["R1", "R2"]);
  });
  afterAll(() => t.close());

  const pack = () => buildZip([zipEntry("R1.yaml", ruleYaml("R1", { version: 2 })), zipEntry("pack/R2.yaml", ruleYaml("R2")), zipEntry("R3.yaml", ruleYaml("R3"))]);

  it("401 without credentials, 403 for a viewer, 403 for a cookie request from another origin or none", async () => {
    cookie.session = "";
    expect(await json(await call({ zip: pack() }))).toEqual({ status: 401, body: { detail: "Could not validate credentials" } });
    expect(await json(await call({ zip: pack(), bearer: t.viewerToken }))).toEqual({ status: 403, body: { detail: "Insufficient permissions" } });
    cookie.session = t.adminSession;
    for (const origin of ["http://evil.test", "null", `https://${HOST}.evil.test`, "not a url"]) {
      expect(await json(await call({ zip: pack(), origin }))).toEqual({ status: 403, body: { detail: "Cross-origin request refused" } });
    }
    expect((await call({ zip: pack(), origin: null })).status).toBe(403);
    // An API token is not sent by browsers on their own: no Origin needed.
    cookie.session = "";
    expect((await call({ zip: pack(), bearer: t.adminToken, origin: null })).status).toBe(200);
    expect((await t.services.store.listRules()).map((r) => r.ruleId)).toEqual(["R1", "R2"]);
  });

  it("413 past the limit, by Content-Length or while reading a body that declares none; 415 for a body that is not a form", async () => {
    cookie.session = t.adminSession;
    const declared = await call({ zip: pack(), headers: { "content-length": String(MAX_IMPORT_REQUEST_BYTES + 1) } });
    expect(declared.status).toBe(413);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const streamed = await json<{ detail: string; field: string }>(
      await call({ body: endless, headers: { "content-type": "multipart/form-data; boundary=x" } }),
    );
    expect(streamed).toEqual({ status: 413, body: { detail: "The upload is larger than 11.0 MiB; a rule pack may be at most 10.0 MiB.", field: "file" } });
    expect(pulled).toBeLessThan(MAX_IMPORT_REQUEST_BYTES + 512 * 1024);
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set([0x50, 0x4b, 3, 4]);
    expect(await json(await call({ zip: big }))).toEqual({ status: 413, body: { detail: "pack.zip is 10.0 MiB; a rule pack may be at most 10.0 MiB.", field: "file" } });
    expect((await call({ body: "x", headers: { "content-type": "application/zip" } })).status).toBe(415);
    expect(await json(await call({ step: "other", zip: pack() }))).toEqual({ status: 400, body: { detail: "step must be preview or apply" } });
  });

  it("refuses what is not a zip beside the file field, and shows a bomb's problems in the preview", async () => {
    cookie.session = t.adminSession;
    expect(await json(await call({ zip: new TextEncoder().encode("rule_id: R1\n") }))).toEqual({
      status: 400,
      body: { detail: "pack.zip is not a .zip file. Upload a zip of rule files (<rule_id>.yaml), such as an export from this page.", field: "file" },
    });
    const zeros = deflatedZeros(1024);
    const bomb = buildZip([zipEntry("R9.yaml", ruleYaml("R9")), { name: "R1.yaml", method: 8, data: zeros.data, crc: zeros.crc, size: 900 }]);
    const res = await json<ImportPreviewData>(await call({ zip: bomb }));
    expect(res.status).toBe(200);
    expect(res.body.problems).toEqual(["R1.yaml:1:1: unpacks to more than its declared 900 bytes (stopped there)"]);
    expect(res.body.add).toEqual([]);
  });

  it("previews (nothing written), then applies with the preview's token and plan; a changed file or a stale plan is refused", async () => {
    cookie.session = t.adminSession;
    const zip = pack();
    const preview = await json<ImportPreviewData>(await call({ zip, fields: { deleteMissing: "on" } }));
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ fileName: "pack.zip", fileCount: 3, problems: [], deleteMissing: true, delete: [] });
    expect(preview.body.add.map((a) => a.ruleId)).toEqual(["R3"]);
    expect(preview.body.change.map((c) => c.ruleId)).toEqual(["R1"]);
    expect(preview.body.unchanged.map((u) => u.ruleId)).toEqual(["R2"]);
    expect((await t.services.store.listRules()).map((r) => r.ruleId)).toEqual(["R1", "R2"]);

    const plan = JSON.stringify(planFromPreview(preview.body));
    const other = buildZip([zipEntry("R1.yaml", ruleYaml("R1", { version: 3 }))]);
    expect(await json(await call({ step: "apply", zip: other, fields: { token: preview.body.token, plan } }))).toEqual({
      status: 409,
      body: { detail: "pack.zip is not the file that was previewed; preview it again." },
    });
    expect((await call({ step: "apply", zip, fields: { token: preview.body.token, plan: "{" } })).status).toBe(400);

    // Someone edits R1 between preview and apply: a per-rule conflict, the rest is written.
    await t.services.store.upsertRule(ruleYaml("R1", { version: 5 }), { actor: "other" });
    const applied = await json<ImportApplyData>(await call({ step: "apply", zip, fields: { token: preview.body.token, plan, deleteMissing: "on" } }));
    expect(applied.status).toBe(200);
    expect(applied.body.results.map((r) => [r.ruleId, r.outcome])).toEqual([
      ["R1", "conflict"],
      ["R2", "unchanged"],
      ["R3", "added"],
    ]);
    expect(applied.body.summary).toBe("1 added, 0 changed, 0 deleted, 1 unchanged, 1 conflict: R1");
    const r3 = await t.services.store.getRule("R3");
    expect(r3).toMatchObject({ origin: "import", updatedBy: "ana" });
  });
});
