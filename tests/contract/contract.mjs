// Contract test: real `doorstep serve` answers against schemas/ (JSON Schema 2020-12 via
// ajv in strict mode with formats, and the OpenAPI 3.1 document via a standard validator).
//
//   node contract.mjs PORT      (run.sh starts the server and passes its port)
//
// Env: DOORSTEP_BINARY (the doorstep binary: its `generate` output is checked against the
// simulate-line schema), DOORSTEP_CONFIG (its config), DOORSTEP_BACKUP_DIR (the server's
// --backup-dir), DOORSTEP_KAFKA (the server's "doorstep: kafka (embedded dev broker) ..."
// line; kafka.mjs). The server must run with --clock simulated --clock-start
// 2026-03-02T09:00:00+08:00 --demo-tokens --backup-dir $DOORSTEP_BACKUP_DIR --kafka embedded
// on an empty store.
//
// Every check prints "ok - ..." or "not ok - ..."; the last line is "N passed, M failed".
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Validator } from "@seriousme/openapi-schema-validator";
import { kafkaContract, kafkaFromServerLine } from "./kafka.mjs";
import { request } from "./lib/http.mjs";
import { embeddedComponents, loadV1, newAjv, openapiPath, sourceDir, v1Validators, ID_BASE } from "./lib/schemas.mjs";
import { parseXml, xmlRecords } from "./lib/xml.mjs";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node contract.mjs PORT");
  process.exit(2);
}

// ----------------------------------------------------------------------------- checks

let passed = 0;
let failed = 0;
const failures = [];

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    failures.push(name);
    console.log(`not ok - ${name}\n    ${String(process.env.CONTRACT_DEBUG ? e?.stack : e?.message ?? e).split("\n").join("\n    ")}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

// ----------------------------------------------------------------------------- schemas

const v1 = v1Validators();
const openapiText = readFileSync(openapiPath, "utf8");
const openapi = JSON.parse(openapiText);

function errorsText(validate) {
  return (validate.errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`)
    .join("; ");
}

// Validates `data` against schemas/v1/<file>; throws with ajv's errors.
function validate(file, data, what = file) {
  const fn = v1.get(file);
  if (!fn(data)) throw new Error(`${what} does not match ${file}: ${errorsText(fn)}\n    data: ${String(JSON.stringify(data)).slice(0, 600)}`);
}
// The opposite: a deliberately wrong object must be rejected.
function mustReject(file, data, what) {
  const fn = v1.get(file);
  if (fn(data)) throw new Error(`${file} accepted a wrong object (${what}): ${String(JSON.stringify(data)).slice(0, 300)}`);
}

// The OpenAPI document's own schemas, compiled by a strict ajv (refs are JSON pointers
// into the document).
const OPENAPI_ID = "urn:doorstep:openapi";
const oaAjv = newAjv();
oaAjv.addKeyword({ keyword: "components" });
oaAjv.addSchema({ $id: OPENAPI_ID, components: { schemas: openapi.components.schemas } });
const oaCache = new Map();
function oaValidator(schema) {
  const key = JSON.stringify(schema);
  if (!oaCache.has(key)) {
    const s = typeof schema.$ref === "string" && schema.$ref.startsWith("#/") ? { $ref: OPENAPI_ID + schema.$ref } : schema;
    oaCache.set(key, oaAjv.compile(s));
  }
  return oaCache.get(key);
}

function deref(obj) {
  let o = obj;
  while (o && typeof o.$ref === "string") {
    o = o.$ref
      .slice(2)
      .split("/")
      .reduce((x, k) => x?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], openapi);
  }
  return o;
}

// Path templates of the document as regexes.
const templates = Object.keys(openapi.paths).map((t) => ({
  template: t,
  re: new RegExp("^" + t.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/.]+") + "$"),
}));
function findPath(path) {
  const p = path.split("?")[0];
  return templates.find((t) => t.re.test(p))?.template;
}

const exercised = new Set(); // "METHOD template" seen with a documented answer
const seenEventTypes = new Set();
const seenProblemCodes = new Set();

// Checks an answer against the OpenAPI document: the path and method exist, the status is
// documented for them, the media type is documented for that status, and the body matches
// the documented schema. Returns the parsed body (JSON) or the text.
function conformsToOpenapi(res, method, path) {
  const template = findPath(path);
  assert(template, `${method} ${path} is not in openapi.json`);
  const item = openapi.paths[template];
  const op = item[method.toLowerCase()];
  let response;
  if (res.status === 405) {
    response = Object.values(item)
      .map((o) => o?.responses?.["405"])
      .find(Boolean);
    assert(response, `405 is not documented for any method of ${template}`);
  } else {
    assert(op, `${method} ${template} is not in openapi.json`);
    response = op.responses[String(res.status)];
    assert(response, `${method} ${template}: status ${res.status} is not documented (documented: ${Object.keys(op.responses).join(", ")})`);
    exercised.add(`${method} ${template}`);
  }
  response = deref(response);
  if (!response.content) {
    assert(res.body.length === 0, `${method} ${template} ${res.status}: documented without a body, got ${res.mediaType}`);
    return null;
  }
  const media = response.content[res.mediaType];
  assert(media, `${method} ${template} ${res.status}: media type '${res.mediaType}' is not documented (documented: ${Object.keys(response.content).join(", ")})`);
  const isJson = res.mediaType === "application/json" || res.mediaType.endsWith("+json");
  const body = isJson ? res.json() : res.text;
  if (media.schema) {
    const fn = oaValidator(media.schema);
    if (!fn(body)) throw new Error(`${method} ${template} ${res.status}: body does not match openapi.json: ${errorsText(fn)}`);
  }
  return body;
}

function noteEvents(events) {
  for (const e of events) seenEventTypes.add(e.type);
}

// ----------------------------------------------------------------------------- HTTP

const OP = "demo-operator";
const SUP = "demo-supervisor";
const ADM = "demo-admin";
const INT = "demo-integration";
const HEAD = "demo-building-head";
const GRID = "demo-grid-worker";
const RSUP = "demo-runtai-supervisor";

async function call(method, path, { token, body, headers = {}, contentType } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && body !== null && typeof body === "object" && !Buffer.isBuffer(body)) payload = JSON.stringify(body);
  if (payload !== undefined && payload !== null) h["Content-Type"] = contentType ?? "application/json";
  return request(port, method, path, { headers: h, body: payload ?? null });
}

// A successful answer: status, documented in openapi.json, body valid against schemas/v1/<file>.
async function expectOk(method, path, { status = 200, schema, ...opts } = {}) {
  const res = await call(method, path, opts);
  if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${res.text.slice(0, 400)}`);
  const body = conformsToOpenapi(res, method, path);
  if (schema) validate(schema, body, `${method} ${path}`);
  return { res, body };
}

// A problem answer: status, application/problem+json, problem schema, code, field, type URI.
async function expectProblem(method, path, status, code, { field, ...opts } = {}) {
  const res = await call(method, path, opts);
  return checkProblem(res, method, path, status, code, field);
}
function checkProblem(res, method, path, status, code, field, { openapiCheck = true } = {}) {
  assert(res.status === status, `${method} ${path}: expected ${status} ${code}, got ${res.status}: ${res.text.slice(0, 300)}`);
  eq(res.mediaType, "application/problem+json", `${method} ${path} content type`);
  const p = res.json();
  validate("problem.schema.json", p, `${method} ${path} problem`);
  if (openapiCheck) conformsToOpenapi(res, method, path);
  const codes = Array.isArray(code) ? code : [code];
  assert(codes.includes(p.code), `${method} ${path}: expected code ${codes.join("|")}, got ${p.code} (${p.detail})`);
  eq(p.status, status, "problem status");
  eq(p.type, `https://doorstep.dev/problems/${p.code}`, "problem type");
  if (field !== undefined) eq(p.field, field, `${method} ${path} problem field`);
  seenProblemCodes.add(p.code);
  return p;
}

const appeal = (over = {}) => ({
  channel: "hotline",
  category: "small_ads",
  description: "楼道里贴满了小广告，请尽快清理",
  location: { jurisdiction_id: "runtai-huayuan-b1", address: "润泰花园1号楼" },
  resident: { name: "王秀英", phone: "13812345678" },
  ...over,
});

// Files an appeal (validating the request body against the request schema first).
async function file(body, { token = OP, status = 201, headers } = {}) {
  validate("appeal-request.schema.json", body, "the test's own appeal request");
  const { res, body: out } = await expectOk("POST", "/api/v1/appeals", { token, body, headers, status, schema: "appeal-response.schema.json" });
  return { res, out };
}

async function act(token, id, body, { status = 200, headers } = {}) {
  validate("action-request.schema.json", body, "the test's own action request");
  const { res, body: out } = await expectOk("POST", `/api/v1/tickets/${id}/actions`, { token, body, headers, status, schema: "action-response.schema.json" });
  noteEvents(out.events);
  return { res, out };
}

async function ticket(id, token = ADM) {
  const { res, body } = await expectOk("GET", `/api/v1/tickets/${id}`, { token, schema: "ticket.schema.json" });
  eq(res.headers.etag, `"${body.version}"`, "ETag");
  return body;
}

async function events(id, token = ADM) {
  const { body } = await expectOk("GET", `/api/v1/tickets/${id}/events`, { token, schema: "events-list.schema.json" });
  noteEvents(body.events);
  return body.events;
}

async function moveClock(body) {
  validate("clock-request.schema.json", body, "the test's own clock request");
  const { body: out } = await expectOk("POST", "/api/v1/admin/clock", { token: ADM, body, schema: "clock-response.schema.json" });
  return out;
}

async function totalTickets() {
  const { body } = await expectOk("GET", "/api/v1/tickets?limit=1", { token: ADM, schema: "worklist.schema.json" });
  return body.total;
}

const types = (evs) => evs.map((e) => e.type);

// ============================================================================ static

console.log("# schemas/v1 and schemas/openapi.json");

const v1Files = loadV1();
for (const s of v1Files) {
  await check(`schemas/v1/${s.file} compiles in strict mode (draft 2020-12, $id matches the file)`, () => {
    eq(s.schema.$schema, "https://json-schema.org/draft/2020-12/schema", `${s.file} $schema`);
    eq(s.schema.$id, ID_BASE + s.file, `${s.file} $id`);
    const fresh = newAjv();
    for (const o of v1Files) fresh.addSchema(o.schema);
    fresh.compile({ $ref: ID_BASE + s.file });
  });
}

await check("a schema with an unknown keyword is refused in strict mode", () => {
  let threw = false;
  try {
    newAjv().compile({ type: "object", additionalProperty: false });
  } catch {
    threw = true;
  }
  assert(threw, "ajv accepted a misspelt keyword: strict mode is off");
});

await check("schemas/openapi.json is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)", async () => {
  const validator = new Validator();
  const res = await validator.validate(JSON.parse(openapiText));
  assert(res.valid, `invalid: ${String(JSON.stringify(res.errors)).slice(0, 1500)}`);
  eq(validator.version, "3.1", "OpenAPI version");
  assert(openapi.openapi.startsWith("3.1."), "openapi must be 3.1.x");
});

await check("the OpenAPI validator rejects a broken document (dangling $ref, missing info)", async () => {
  const broken = JSON.parse(openapiText);
  broken.paths["/api/v1/tickets/{id}"].get.responses["200"].content["application/json"].schema = { $ref: "#/components/schemas/NoSuchSchema" };
  const r1 = await new Validator().validate(broken);
  assert(!r1.valid, "a dangling $ref was accepted");
  const noInfo = JSON.parse(openapiText);
  delete noInfo.info;
  const r2 = await new Validator().validate(noInfo);
  assert(!r2.valid, "a document without info was accepted");
});

await check("openapi.json components.schemas equal schemas/v1 (run: node tests/contract/openapi-sync.mjs)", () => {
  const want = embeddedComponents();
  const have = openapi.components.schemas;
  eq(Object.keys(have).sort(), Object.keys(want).sort(), "component names");
  for (const k of Object.keys(want)) {
    assert(JSON.stringify(have[k]) === JSON.stringify(want[k]), `components.schemas.${k} differs from schemas/v1; run node tests/contract/openapi-sync.mjs`);
  }
});

await check("openapi.json: every path parameter is declared, operationIds are unique, bearerAuth exists", () => {
  const ids = new Set();
  for (const [template, item] of Object.entries(openapi.paths)) {
    const inTemplate = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .map(deref)
        .filter((p) => p.in === "path")
        .map((p) => p.name)
        .sort();
      eq(declared, inTemplate, `${method.toUpperCase()} ${template} path parameters`);
      assert(op.operationId && !ids.has(op.operationId), `${method} ${template}: missing or duplicate operationId`);
      ids.add(op.operationId);
    }
  }
  eq(openapi.components.securitySchemes.bearerAuth, { ...openapi.components.securitySchemes.bearerAuth, type: "http", scheme: "bearer" }, "bearerAuth");
});

await check("openapi.json: every /api/v1 operation documents 400, 401, 405 and 429 with the problem schema", () => {
  for (const [template, item] of Object.entries(openapi.paths)) {
    if (!template.startsWith("/api/v1/") || template === "/api/v1/openapi.json") continue;
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      for (const code of ["400", "401", "405", "429"]) {
        const r = deref(op.responses[code]);
        assert(r, `${method.toUpperCase()} ${template} does not document ${code}`);
        eq(r.content?.["application/problem+json"]?.schema, { $ref: "#/components/schemas/Problem" }, `${method} ${template} ${code} schema`);
      }
    }
  }
});

await check("every schemas/v1 body is used by an operation (except simulate-line, common and kafka-*)", () => {
  const refs = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string") refs.add(x.split("/")[3]);
        else walk(x);
      }
    }
  };
  walk(openapi.paths);
  walk(openapi.components.responses);
  walk(openapi.components.parameters);
  // Kafka* describe Kafka messages (kafka.mjs checks them), not HTTP bodies.
  const unused = v1Files.map((s) => s.name).filter((n) => !refs.has(n) && !["SimulateLine", "Common", "Event"].includes(n) && !n.startsWith("Kafka"));
  eq(unused, [], "schemas no operation refers to");
});

// Deliberately wrong objects must not validate: each schema can fail.
const goodClock = { state: "running", continuous: false, target_ms: 7200000, started: "2026-03-02T09:00:00+08:00", due: "2026-03-02T11:00:00+08:00", warn_at: [], warnings_fired: 0, breached: false };
const goodEvent = {
  event_id: "T20260302-006-000001/2",
  ticket_id: "T20260302-006-000001",
  seq: 2,
  type: "dispatched",
  schema_version: 1,
  at: "2026-03-02T09:00:00+08:00",
  actor: { role: "operator", id: "demo-operator" },
  causation: "http-1",
  data: { level: "building", unit_id: "u", priority: "low", sla_policy: "small-3d", rule_id: "r", clocks: [goodClock, goodClock, goodClock, { state: "idle" }] },
};
await check("the event schema accepts a hand-made dispatched event and rejects wrong ones", () => {
  validate("event.schema.json", goodEvent, "hand-made event");
  mustReject("event.schema.json", { ...goodEvent, type: "teleported" }, "unknown type");
  mustReject("event.schema.json", { ...goodEvent, data: { note: "x" } }, "data of another type");
  mustReject("event.schema.json", { ...goodEvent, type: "accepted" }, "accepted with dispatch data");
  mustReject("event.schema.json", { ...goodEvent, data: { ...goodEvent.data, clocks: [goodClock] } }, "3 clocks missing");
  mustReject("event.schema.json", { ...goodEvent, at: "2026-03-02T01:00:00Z" }, "time not in +08:00");
  mustReject("event.schema.json", { ...goodEvent, schema_version: 2 }, "schema_version 2");
  mustReject("event.schema.json", { ...goodEvent, data: { ...goodEvent.data, clocks: [{ state: "idle", due: "2026-03-02T11:00:00+08:00" }, goodClock, goodClock, goodClock] } }, "idle clock with a due");
  mustReject("event.schema.json", { ...goodEvent, type: "rated", data: { score: 6, comment: "" } }, "score 6");
  mustReject("event.schema.json", { ...goodEvent, extra: 1 }, "unknown envelope field");
});
await check("request schemas reject wrong bodies", () => {
  mustReject("appeal-request.schema.json", { ...appeal(), colour: "red" }, "unknown field");
  mustReject("appeal-request.schema.json", { ...appeal(), channel: "fax" }, "unknown channel");
  mustReject("appeal-request.schema.json", { ...appeal(), description: "" }, "empty description");
  mustReject("appeal-request.schema.json", { category: "noise", description: "吵", location: {} }, "location without place or address");
  validate("action-request.schema.json", { action: "rate", score: 5, comment: "很满意" });
  mustReject("action-request.schema.json", { action: "rate", score: 0 }, "score 0");
  mustReject("action-request.schema.json", { action: "rate" }, "rate without score");
  mustReject("action-request.schema.json", { action: "accept", score: 5 }, "field of another action");
  mustReject("action-request.schema.json", { action: "submit" }, "submit is not an action");
  mustReject("action-request.schema.json", { action: "escalate", reason: "accept_overdue" }, "engine-only escalation reason");
  mustReject("clock-request.schema.json", { advance: "PT2H", set: "2026-03-02T09:00:00+08:00" }, "both advance and set");
  mustReject("clock-request.schema.json", { advance: "two hours" }, "bad duration");
  mustReject("backup-response.schema.json", { path: "backups/doorstep-20260302-170005-123", created_at: "2026-03-02T17:00:05.123+08:00" }, "relative path");
  mustReject("backup-response.schema.json", { path: "/srv/backups/doorstep-20260302-170005-123" }, "no created_at");
  validate("clock-request.schema.json", { advance: "1h30m" });
  mustReject("open311-request-form.schema.json", { service_code: "street_light" }, "no location");
});
await check("response schemas reject wrong bodies", () => {
  mustReject("problem.schema.json", { type: "https://doorstep.dev/problems/not_found", title: "x", status: 500, code: "not_found", detail: "" }, "status does not match code");
  mustReject("problem.schema.json", { type: "https://doorstep.dev/problems/missing_field", title: "x", status: 422, code: "missing_field", detail: "" }, "missing_field without field");
  mustReject("appeal-response.schema.json", { ticket_id: "T20260302-006-000001", status: "open", level: "building", unit_id: "u", deadlines: { accept: null, contact: null, resolve: null }, joined: false, version: 2 }, "unknown status");
  mustReject("worklist.schema.json", { tickets: [], total: -1, next_cursor: null }, "negative total");
  mustReject("stats.schema.json", { group_by: "planet", tickets: 0, groups: [], escalations: {}, hot_spots: [] }, "unknown group_by");
  mustReject("stats.schema.json", { group_by: "unit", tickets: 0, groups: [], escalations: { bored: 1 }, hot_spots: [] }, "unknown escalation reason");
  mustReject("open311-requests.schema.json", [{ service_request_id: "T20260302-006-000001", status: "pending" }], "status pending");
  mustReject("health.schema.json", { status: "meh" }, "status meh");
});

await check("simulate-line schema accepts the docs/cli.md example lines and rejects broken ones", () => {
  const submit = { at: "2026-02-10T09:12:00+08:00", command: "submit", id: "c-1", source_id: "a-1", channel: "hotline", category: "street_light", severity: "normal", description: "润泰花园1号楼门口路灯不亮，晚上看不见路", location: { jurisdiction_id: "runtai-huayuan-b1", address: "润泰花园1号楼" }, resident: { name: "王秀英", phone: "13812345678" } };
  const accept = { at: "2026-02-10T09:30:00+08:00", command: "accept", id: "c-2", ref: "a-1", actor: { role: "handler", id: "runtai-huayuan-b1-head" } };
  validate("simulate-line.schema.json", submit, "docs submit line");
  validate("simulate-line.schema.json", accept, "docs accept line");
  mustReject("simulate-line.schema.json", { ...accept, ref: undefined }, "action without ref or ticket_id");
  mustReject("simulate-line.schema.json", { ...submit, at: undefined }, "line without at");
  mustReject("simulate-line.schema.json", { ...accept, command: "absorb" }, "internal command");
});

const binary = process.env.DOORSTEP_BINARY;
await check("every line of `doorstep generate` and of the shipped sample matches simulate-line", () => {
  assert(binary, "DOORSTEP_BINARY is not set");
  const dir = mkdtempSync(join(tmpdir(), "doorstep-contract-gen-"));
  try {
    const out = join(dir, "appeals.jsonl");
    const args = [...(process.env.DOORSTEP_CONFIG ? ["--config", process.env.DOORSTEP_CONFIG] : []), "generate", "--appeals", "300", "--from", "2026-02-09", "--days", "7", "--seed", "11", "-o", out];
    execFileSync(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
    const sample = gunzipSync(readFileSync(join(sourceDir, "config", "samples", "appeals-2026-spring.jsonl.gz"))).toString("utf8");
    const commands = new Set();
    let n = 0;
    for (const [name, text] of [["generate", readFileSync(out, "utf8")], ["sample", sample]]) {
      text.split("\n").forEach((line, i) => {
        if (!line.trim()) return;
        const o = JSON.parse(line);
        validate("simulate-line.schema.json", o, `${name} line ${i + 1}`);
        commands.add(o.command);
        n++;
      });
    }
    assert(n > 1000 && commands.has("submit") && commands.has("accept") && commands.has("rate"), `too few lines or commands checked (${n}: ${[...commands]})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ============================================================================ live

console.log(`# live: doorstep serve on 127.0.0.1:${port}`);

await check("GET /healthz and /readyz answer {status: ok}", async () => {
  await expectOk("GET", "/healthz", { schema: "health.schema.json" });
  await expectOk("GET", "/readyz", { schema: "health.schema.json" });
});

await check("GET /metrics answers Prometheus text (issue 3: /metrics on the same port)", async () => {
  const res = await call("GET", "/metrics");
  assert(res.status === 200, `expected 200 text/plain, got ${res.status} ${res.mediaType}: ${res.text.slice(0, 200)}`);
  conformsToOpenapi(res, "GET", "/metrics");
  assert(/^# (HELP|TYPE) /m.test(res.text), "no # HELP/# TYPE lines: not the Prometheus text format");
});

await check("GET /api/v1/openapi.json serves schemas/openapi.json verbatim, without a token", async () => {
  const { res } = await expectOk("GET", "/api/v1/openapi.json");
  assert(res.text === openapiText, "the served document differs from schemas/openapi.json");
});

const before = { tickets: 0 };
await check("an empty store: the worklist is empty", async () => {
  before.tickets = await totalTickets();
  eq(before.tickets, 0, "tickets in a fresh store");
});

// --- the operator > handler > supervisor loop -------------------------------------------

const T = {};
await check("POST /api/v1/appeals files a Chinese appeal: 201, Location, ETag, deadlines in +08:00", async () => {
  const { res, out } = await file(appeal(), { headers: { "Idempotency-Key": "contract-appeal-1" } });
  T.loop = out.ticket_id;
  eq(res.headers.location, `/api/v1/tickets/${out.ticket_id}`, "Location");
  eq(res.headers.etag, `"${out.version}"`, "ETag");
  eq([out.status, out.level, out.unit_id, out.joined], ["dispatched", "building", "runtai-huayuan-b1-head", false], "placement");
  eq(out.deadlines.accept, "2026-03-02T11:00:00+08:00", "accept deadline (small-3d, 2 working hours)");
});

await check("the same Idempotency-Key and body returns the first answer; another body is 409", async () => {
  const { out } = await file(appeal(), { headers: { "Idempotency-Key": "contract-appeal-1" } });
  eq(out.ticket_id, T.loop, "replayed ticket id");
  await expectProblem("POST", "/api/v1/appeals", 409, "idempotency_conflict", { token: OP, body: appeal({ description: "另一件事：电梯坏了" }), headers: { "Idempotency-Key": "contract-appeal-1" } });
  eq(await totalTickets(), 1, "tickets after replay and conflict");
});

await check("GET /api/v1/tickets/{id}: operator sees the resident, supervisor sees 王** / 138****5678", async () => {
  const op = await ticket(T.loop, OP);
  eq(op.appeals[0].resident, { name: "王秀英", phone: "13812345678" }, "operator's view");
  eq(op.description, "楼道里贴满了小广告，请尽快清理", "description");
  const sup = await ticket(T.loop, SUP);
  eq(sup.appeals[0].resident, { name: "王**", phone: "138****5678" }, "supervisor's view");
  for (const k of ["ticket_id", "status", "level", "unit_id", "category", "jurisdiction_id", "channel", "deadlines", "sla", "escalations", "appeals", "rating", "version"]) {
    assert(k in sup, `ticket lacks ${k} (issue 3 names it)`);
  }
  eq(Object.keys(sup.sla).sort(), ["accept", "contact", "resolve"], "running clocks");
  const evs = await events(T.loop, SUP);
  eq(types(evs), ["received", "dispatched"], "history");
  eq(evs[0].data.appeal.resident.phone, "138****5678", "masked phone in the received event");
});

await check("the handler accepts (签收) with If-Match; a second accept is 409 illegal_transition", async () => {
  const { res, out } = await act(HEAD, T.loop, { action: "accept" }, { headers: { "If-Match": '"2"' } });
  eq([out.ticket.status, out.replayed, types(out.events)], ["accepted", false, ["accepted"]], "after accept");
  eq(res.headers.etag, '"3"', "ETag");
  await expectProblem("POST", `/api/v1/tickets/${T.loop}/actions`, 409, "illegal_transition", { token: HEAD, body: { action: "accept" } });
});

await check("contact and note carry Chinese text into events", async () => {
  const c = await act(HEAD, T.loop, { action: "contact", note: "已电话联系居民" });
  eq(c.out.events[0].data, { note: "已电话联系居民" }, "contacted data");
  const n = await act(HEAD, T.loop, { action: "note", note: "已安排保洁明早清理" });
  eq(types(n.out.events), ["noted"], "noted");
});

await check("a stale If-Match is 412 stale_version; the current one resolves (办结)", async () => {
  await expectProblem("POST", `/api/v1/tickets/${T.loop}/actions`, 412, "stale_version", { token: HEAD, body: { action: "resolve", note: "已清理" }, headers: { "If-Match": '"2"' } });
  const { out } = await act(HEAD, T.loop, { action: "resolve", note: "已清理完毕" }, { headers: { "If-Match": 'W/"5"' } });
  eq(out.ticket.status, "resolved", "status");
});

await check("rating before verification is 409 not_verified; verify, then rate 5 closes it", async () => {
  await expectProblem("POST", `/api/v1/tickets/${T.loop}/actions`, 409, "not_verified", { token: OP, body: { action: "rate", score: 5 } });
  await act(SUP, T.loop, { action: "verify", passed: true, note: "现场核查，已清理干净" });
  const { out } = await act(OP, T.loop, { action: "rate", score: 5, comment: "很满意" }, { headers: { "Idempotency-Key": "contract-rate-1" } });
  eq([out.ticket.status, out.ticket.rating, types(out.events)], ["closed", 5, ["rated", "closed"]], "after rating");
  assert(out.ticket.closed_at, "closed_at missing");
  const again = await act(OP, T.loop, { action: "rate", score: 5, comment: "很满意" }, { headers: { "Idempotency-Key": "contract-rate-1" } });
  eq(again.out.replayed, true, "replayed");
  eq(types(await events(T.loop)), ["received", "dispatched", "accepted", "contacted", "noted", "resolved", "verified", "rated", "closed"], "history");
});

// --- duplicates and the hot spot -----------------------------------------------------------

await check("duplicates join the open ticket (200, joined: true); the third join escalates repeat_reports", async () => {
  const first = await file(appeal({ category: "garbage", description: "楼下垃圾桶满了三天没人清运", location: { jurisdiction_id: "runtai-huayuan-b1" } }));
  T.hot = first.out.ticket_id;
  for (const b of ["b2", "b3", "b1"]) {
    const dup = await file(appeal({ category: "garbage", description: `${b}旁边的垃圾也堆满了，味道很大`, location: { jurisdiction_id: `runtai-huayuan-${b}` }, resident: { name: "李强", phone: "13900001111" } }), { status: 200 });
    eq([dup.out.ticket_id, dup.out.joined], [T.hot, true], "joined");
  }
  const t = await ticket(T.hot, SUP);
  eq(t.appeals.length, 4, "appeals on the ticket");
  assert(t.escalations.some((e) => e.reason === "repeat_reports"), `no repeat_reports escalation: ${JSON.stringify(t.escalations)}`);
  const evs = types(await events(T.hot));
  assert(evs.filter((x) => x === "appeal_joined").length === 3, `appeal_joined events: ${evs}`);
});

// --- verification failed, rating, reopen ------------------------------------------------------

await check("verify passed:false sends it back (verification_failed); rate 2 then reopen (reopened)", async () => {
  const { out } = await file(appeal({ category: "noise", description: "楼上装修噪音太大，中午也不停", resident: { name: "张伟", phone: "13700002222" } }));
  T.reopen = out.ticket_id;
  eq(out.level, "building", "noise enters at the building");
  await act(HEAD, T.reopen, { action: "accept" });
  await act(HEAD, T.reopen, { action: "resolve", note: "已劝导" });
  const failedVerify = await act(SUP, T.reopen, { action: "verify", passed: false, note: "回访居民，噪音仍在" });
  eq(types(failedVerify.out.events), ["verification_failed"], "verification_failed");
  await act(HEAD, T.reopen, { action: "resolve", note: "已与装修队约定作息时间" });
  await act(SUP, T.reopen, { action: "verify", passed: true });
  await act(OP, T.reopen, { action: "rate", score: 2, comment: "不太满意" });
  const re = await act(OP, T.reopen, { action: "reopen", reason: "居民表示问题仍未解决" });
  assert(types(re.out.events).includes("reopened"), `reopen events: ${types(re.out.events)}`);
  eq(re.out.ticket.status, "dispatched", "status after reopen");
});

// --- escalation, suspension, cancel --------------------------------------------------------------

await check("handlers act only on their unit's tickets; a handler escalates only with handler_request", async () => {
  const { out } = await file(appeal({ category: "neighbour_dispute", description: "邻居占用楼道堆放杂物，协商无果" }));
  T.esc = out.ticket_id;
  eq([out.level, out.unit_id], ["grid", "runtai-g1-worker"], "placement");
  await expectProblem("POST", `/api/v1/tickets/${T.esc}/actions`, 403, "forbidden", { token: HEAD, body: { action: "accept" } });
  await act(GRID, T.esc, { action: "accept" });
  await expectProblem("POST", `/api/v1/tickets/${T.esc}/actions`, 403, "forbidden", { token: GRID, body: { action: "escalate", reason: "supervisor" }, field: "reason" });
});

await check("escalate (吹哨) by the grid worker, then by a supervisor: escalations [{from, to, reason, at}]", async () => {
  const a = await act(GRID, T.esc, { action: "escalate", reason: "handler_request", note: "需要社区协调物业" });
  eq([a.out.events[0].data.from, a.out.events[0].data.to, a.out.events[0].data.reason], ["grid", "community", "handler_request"], "first escalation");
  const b = await act(SUP, T.esc, { action: "escalate", reason: "supervisor", note: "督办升级到街道" });
  eq(b.out.ticket.escalations.map((e) => [e.from, e.to, e.reason]), [["grid", "community", "handler_request"], ["community", "street", "supervisor"]], "escalations");
});

await check("suspend (挂起) pauses the clocks, resume restarts them, cancel ends the ticket", async () => {
  const s = await act(SUP, T.esc, { action: "suspend", reason: "等待产权单位书面答复" });
  eq(s.out.ticket.status, "suspended", "status");
  assert(Object.values(s.out.ticket.sla).some((c) => c.state === "paused"), `no paused clock: ${JSON.stringify(s.out.ticket.sla)}`);
  const r = await act(SUP, T.esc, { action: "resume" });
  eq(r.out.ticket.status, "dispatched", "status after resume");
  const c = await act(OP, T.esc, { action: "cancel", reason: "居民撤回诉求" });
  eq(c.out.ticket.status, "cancelled", "status");
  await expectProblem("POST", `/api/v1/tickets/${T.esc}/actions`, 409, "illegal_transition", { token: OP, body: { action: "cancel", reason: "再次取消" } });
});

// --- return, triage, dispatch ------------------------------------------------------------------

await check("return (退单) sends it to triage (level null); triage routes it again", async () => {
  const { out } = await file(appeal({ category: "disorderly_parking", description: "小区门口乱停车，堵住了消防通道" }));
  T.ret = out.ticket_id;
  const r = await act(GRID, T.ret, { action: "return", reason: "不属于本网格，应由物业处理" });
  eq([r.out.ticket.status, r.out.ticket.level, r.out.ticket.unit_id, r.out.ticket.returns], ["received", null, "", 1], "after return");
  eq(r.out.ticket.deadlines, { accept: null, contact: null, resolve: null }, "deadlines in triage");
  const t = await act(OP, T.ret, { action: "triage", severity: "normal" });
  eq(types(t.out.events), ["triaged", "dispatched"], "triage events");
});

await check("dispatch by hand from triage: unknown unit is 422, a level works; a third return is 409", async () => {
  await act(GRID, T.ret, { action: "return", reason: "仍不属于本网格" });
  await expectProblem("POST", `/api/v1/tickets/${T.ret}/actions`, 422, "unknown_unit", { token: OP, body: { action: "dispatch", level: "community", unit_id: "no-such-unit" }, field: "unit_id" });
  const d = await act(OP, T.ret, { action: "dispatch", level: "community" });
  eq([d.out.ticket.level, d.out.ticket.unit_id, d.out.ticket.rule_id], ["community", "runtai-committee", "manual"], "dispatched");
  await expectProblem("POST", `/api/v1/tickets/${T.ret}/actions`, 409, "return_limit", { token: ADM, body: { action: "return", reason: "第三次退单" } });
});

// --- merge ---------------------------------------------------------------------------------------

await check("merge folds a duplicate into another ticket of the community (merged, absorbed)", async () => {
  const a = await file(appeal({ category: "illegal_dumping", description: "有人在绿化带倾倒建筑垃圾", location: { jurisdiction_id: "runtai-xincun-b1" } }));
  const b = await file(appeal({ category: "illegal_dumping", description: "2号楼旁边也有人倒建筑垃圾", location: { jurisdiction_id: "runtai-huayuan-b2" } }));
  T.dup = a.out.ticket_id;
  T.master = b.out.ticket_id;
  await expectProblem("POST", `/api/v1/tickets/${T.dup}/actions`, 422, "invalid_field", { token: SUP, body: { action: "merge", into: T.dup }, field: "into" });
  const m = await act(SUP, T.dup, { action: "merge", into: T.master });
  eq([m.out.ticket.status, m.out.ticket.merged_into], ["merged", T.master], "merged");
  const master = await ticket(T.master);
  eq(master.appeals.length, 2, "appeals on the master");
  assert(types(await events(T.master)).includes("absorbed"), "no absorbed event on the master");
});

// --- scope ------------------------------------------------------------------------------------------

await check("a scoped supervisor cannot see another community's ticket (404) nor list it", async () => {
  const far = await file(appeal({ category: "street_light", description: "兴燕家园1号楼门口路灯坏了好几天", location: { jurisdiction_id: "xingyan-jiayuan-b1" }, resident: { name: "周梅", phone: "13600003333" } }));
  T.far = far.out.ticket_id;
  eq(far.out.level, "department", "street lights go to the department");
  await expectProblem("GET", `/api/v1/tickets/${T.far}`, 404, "not_found", { token: RSUP });
  await expectProblem("GET", `/api/v1/tickets/${T.far}/events`, 404, "not_found", { token: RSUP });
  const { body } = await expectOk("GET", "/api/v1/tickets?limit=500", { token: RSUP, schema: "worklist.schema.json" });
  assert(body.tickets.length > 0 && body.tickets.every((t) => t.community_id === "runtai"), "the scoped worklist holds tickets outside runtai");
  const j = await expectOk("GET", "/api/v1/jurisdictions", { token: RSUP, schema: "jurisdictions.schema.json" });
  eq(j.body.jurisdictions.map((n) => n.id), ["runtai"], "scoped tree roots");
  await expectProblem("POST", `/api/v1/tickets/${T.far}/actions`, 409, "top_of_ladder", { token: SUP, body: { action: "escalate", reason: "supervisor" } });
  await expectProblem("POST", `/api/v1/tickets/${T.loop}/actions`, 422, ["cross_community", "invalid_field"], { token: SUP, body: { action: "merge", into: T.far }, field: "into" });
});

// --- the simulated clock: warnings, breaches, auto-close -----------------------------------------

await check("POST /api/v1/admin/clock fires warnings and breaches in order (sla_at_risk, sla_breached)", async () => {
  const { out } = await file(appeal({ category: "street_light", description: "1号楼门口路灯不亮，晚上看不见路" }));
  T.sla = out.ticket_id;
  const moved = await moveClock({ advance: "PT1H30M" });
  eq(moved.now, "2026-03-02T10:30:00+08:00", "now");
  assert(moved.timers_fired >= 3, `timers fired: ${moved.timers_fired}`);
  const evs = await events(T.sla);
  const accept = evs.filter((e) => e.type.startsWith("sla_") && e.data.clock === "accept").map((e) => [e.type, e.data.ordinal ?? null, e.at]);
  eq(accept, [["sla_at_risk", 0, "2026-03-02T09:30:00+08:00"], ["sla_at_risk", 1, "2026-03-02T09:48:00+08:00"], ["sla_breached", null, "2026-03-02T10:00:00+08:00"]], "accept clock events (utility-24h: 1h, warnings at 0.5 and 0.8)");
  const t = await ticket(T.sla, SUP);
  eq(t.sla.accept.state, "breached", "accept clock state");
});

await check("the worklist filters overdue=true and at_risk=true", async () => {
  const over = await expectOk("GET", "/api/v1/tickets?overdue=true", { token: SUP, schema: "worklist.schema.json" });
  assert(over.body.tickets.some((t) => t.ticket_id === T.sla), "the breached ticket is not overdue");
  assert(over.body.tickets.every((t) => Object.values(t.sla).some((c) => c.state === "breached")), "overdue lists a ticket with no breached clock");
  const risk = await expectOk("GET", "/api/v1/tickets?at_risk=true", { token: SUP, schema: "worklist.schema.json" });
  assert(risk.body.total > 0, "no ticket at risk at 10:30 (small-3d warns at 10:00 and 10:30)");
  assert(risk.body.tickets.every((t) => Object.values(t.sla).some((c) => c.state === "at_risk")), "at_risk lists a ticket with no at-risk clock");
});

await check("a verified, unrated ticket closes itself when the rating window ends (closed: unrated)", async () => {
  const { out } = await file(appeal({ category: "employment", description: "想咨询社区有没有公益性岗位" }));
  T.auto = out.ticket_id;
  await act(ADM, T.auto, { action: "accept" });
  await act(ADM, T.auto, { action: "resolve", note: "已提供岗位信息" });
  const v = await act(SUP, T.auto, { action: "verify", passed: true, note: "电话回访" });
  const closeAt = v.out.events[0].data.auto_close_at;
  await expectProblem("POST", "/api/v1/admin/clock", 422, "invalid_field", { token: ADM, body: { set: "2026-03-01T00:00:00+08:00" }, field: "set" });
  const moved = await moveClock({ set: new Date(Date.parse(closeAt) + 60_000).toISOString() });
  assert(moved.timers_fired > 0, "no timer fired");
  const evs = await events(T.auto);
  const last = evs[evs.length - 1];
  eq([last.type, last.data.reason, last.actor.role], ["closed", "unrated", "system"], "last event");
});

await check("after the feedback window a reopen is 409 feedback_window_closed", async () => {
  await moveClock({ advance: "P5D" });
  await expectProblem("POST", `/api/v1/tickets/${T.loop}/actions`, 409, "feedback_window_closed", { token: OP, body: { action: "reopen", reason: "又贴上了" } });
});

// --- online backup ------------------------------------------------------------------------------

await check("POST /api/v1/admin/backup writes a complete backup under --backup-dir and answers 201 with its path", async () => {
  const before = await totalTickets();
  const { body } = await expectOk("POST", "/api/v1/admin/backup", { token: ADM, status: 201, schema: "backup-response.schema.json" });
  const backupDir = process.env.DOORSTEP_BACKUP_DIR;
  assert(backupDir && body.path.startsWith(backupDir + "/"), `backup ${body.path} is not under ${backupDir}`);
  assert(existsSync(join(body.path, "store", "CURRENT")), `${body.path}/store is not a RocksDB checkpoint`);
  assert(existsSync(join(body.path, "tokens.json")), `${body.path} has no tokens.json`);
  const again = await expectOk("POST", "/api/v1/admin/backup", { token: ADM, status: 201, body: {}, schema: "backup-response.schema.json" });
  assert(again.body.path !== body.path, "two backups got the same directory");
  eq(await totalTickets(), before, "tickets after the backups");
});

await check("POST /api/v1/admin/backup refuses a client-chosen place (422) and non-admins (403), writing nothing", async () => {
  const backupDir = process.env.DOORSTEP_BACKUP_DIR;
  const count = () => readdirSync(backupDir).length;
  const n = count();
  await expectProblem("POST", "/api/v1/admin/backup", 422, "invalid_field", { token: ADM, body: { path: "/tmp/doorstep-elsewhere" }, field: "path" });
  await expectProblem("POST", "/api/v1/admin/backup", 403, "forbidden", { token: SUP });
  eq(count(), n, "backup directories after refused requests");
  assert(!existsSync("/tmp/doorstep-elsewhere"), "a backup was written where the client asked");
});

// --- worklist, stats, catalogue -------------------------------------------------------------------

await check("GET /api/v1/tickets pages with cursors, nearest deadline first, every ticket once", async () => {
  const total = await totalTickets();
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const { body } = await expectOk("GET", `/api/v1/tickets?limit=3${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`, { token: SUP, schema: "worklist.schema.json" });
    assert(body.tickets.length <= 3, "page larger than limit");
    seen.push(...body.tickets);
    cursor = body.next_cursor;
    assert(++pages < 100, "cursor does not end");
  } while (cursor);
  eq(seen.length, total, "tickets over all pages");
  eq(new Set(seen.map((t) => t.ticket_id)).size, total, "distinct tickets");
  const due = (t) => Math.min(...Object.values(t.sla).filter((c) => !("remaining_ms" in c) && !c.stopped_at).map((c) => Date.parse(c.due)), Infinity);
  for (let i = 1; i < seen.length; i++) assert(due(seen[i - 1]) <= due(seen[i]), `not sorted by nearest deadline at ${i}`);
});

await check("worklist filters: status, level, jurisdiction subtree, category, channel, created_from/to", async () => {
  const q = async (query, pred) => {
    const { body } = await expectOk("GET", `/api/v1/tickets?limit=500&${query}`, { token: SUP, schema: "worklist.schema.json" });
    assert(body.tickets.length > 0, `${query}: nothing found`);
    assert(body.tickets.every(pred), `${query}: a ticket does not match`);
  };
  await q("status=closed,cancelled", (t) => ["closed", "cancelled"].includes(t.status));
  await q("level=department", (t) => t.level === "department");
  await q("jurisdiction=runtai-huayuan", (t) => t.jurisdiction_id.startsWith("runtai-huayuan"));
  await q("category=garbage", (t) => t.category === "garbage");
  await q("channel=hotline", (t) => t.channel === "hotline");
  await q("created_from=2026-03-02T00:00:00%2B08:00&created_to=2026-03-03T00:00:00%2B08:00", (t) => t.created_at.startsWith("2026-03-02"));
});

await check("GET /api/v1/stats by unit, level, street and community; hot spots and escalations by reason", async () => {
  for (const g of ["unit", "level", "street", "community"]) {
    const { body } = await expectOk("GET", `/api/v1/stats?group_by=${g}`, { token: SUP, schema: "stats.schema.json" });
    eq(body.group_by, g, "group_by");
    assert(body.groups.length > 0, `no groups by ${g}`);
  }
  const { body } = await expectOk("GET", "/api/v1/stats", { token: SUP, schema: "stats.schema.json" });
  assert(body.hot_spots.some((h) => h.ticket_id === T.hot && h.appeals >= 3), `hot spot missing: ${JSON.stringify(body.hot_spots)}`);
  for (const r of ["repeat_reports", "handler_request", "supervisor", "dissatisfied"]) assert(body.escalations[r] > 0, `no ${r} escalations: ${JSON.stringify(body.escalations)}`);
  const ranged = await expectOk("GET", "/api/v1/stats?from=2026-03-02T00:00:00%2B08:00&to=2026-03-03T00:00:00%2B08:00&jurisdiction=runtai&group_by=unit", { token: OP, schema: "stats.schema.json" });
  assert(ranged.body.tickets > 0 && ranged.body.tickets < body.tickets, "the jurisdiction filter does not narrow the stats");
});

await check("GET /api/v1/stats with Accept: text/csv answers CSV", async () => {
  const { res } = await expectOk("GET", "/api/v1/stats?group_by=street", { token: SUP, headers: { Accept: "text/csv" } });
  eq(res.mediaType, "text/csv", "content type");
  const [header, ...rows] = res.text.trim().split("\n");
  eq(header.split(","), ["street", "received", "response_rate", "resolution_rate", "satisfaction_rate", "accept_compliance", "contact_compliance", "resolve_compliance", "verify_compliance", "escalations"], "CSV header");
  assert(rows.length > 0 && rows.every((r) => r.split(",").length === 10), "CSV rows");
});

await check("GET /api/v1/catalog/categories and /api/v1/jurisdictions", async () => {
  const c = await expectOk("GET", "/api/v1/catalog/categories", { token: OP, schema: "categories.schema.json" });
  assert(c.body.categories.some((x) => x.code === "street_light" && x.name === "路灯不亮"), "street_light / 路灯不亮 missing");
  const j = await expectOk("GET", "/api/v1/jurisdictions", { token: OP, schema: "jurisdictions.schema.json" });
  assert(j.body.jurisdictions.length > 0, "no roots");
});

await check("all 22 event types were seen in real answers and matched the event schema", () => {
  const all = v1.schemas.find((s) => s.file === "event.schema.json").schema.$defs.type.enum;
  eq(all.filter((t) => !seenEventTypes.has(t)), [], "event types never seen");
});

// --- Open311 GeoReport v2 ---------------------------------------------------------------------------

const form = (o) => Object.entries(o).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
const FORM = "application/x-www-form-urlencoded";
const textOf = (v) => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

async function open311(method, path, { status = 200, schema, body, headers } = {}) {
  const res = await call(method, path, { body, headers, contentType: body ? FORM : undefined });
  assert(res.status === status, `${method} ${path}: expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  const parsed = conformsToOpenapi(res, method, path);
  if (path.split("?")[0].endsWith(".xml")) {
    eq(res.mediaType, "text/xml", `${path} content type`);
    return { res, xml: parseXml(res.text) };
  }
  eq(res.mediaType, "application/json", `${path} content type`);
  if (schema) validate(schema, parsed, `${method} ${path}`);
  return { res, body: parsed };
}

await check("Open311: services in JSON and the same services in XML", async () => {
  const j = await open311("GET", "/open311/v2/services.json", { schema: "open311-services.schema.json" });
  assert(j.body.some((s) => s.service_code === "street_light" && s.service_name === "路灯不亮"), "street_light missing");
  const x = await open311("GET", "/open311/v2/services.xml");
  eq(xmlRecords(x.xml, "services", "service"), j.body.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, textOf(v)]))), "XML services");
});

await check("Open311: a service definition in JSON and XML; unknown service and missing suffix are 404", async () => {
  await open311("GET", "/open311/v2/services/street_light.json", { schema: "open311-service-definition.schema.json" });
  const x = await open311("GET", "/open311/v2/services/street_light.xml");
  eq([x.xml.name, x.xml.children.map((c) => c.name)], ["service_definition", ["service_code", "attributes"]], "XML definition");
  await open311("GET", "/open311/v2/services/ufo.json", { status: 404, schema: "open311-errors.schema.json" });
  const res = await call("GET", "/open311/v2/services");
  eq(res.status, 404, "no suffix");
  validate("open311-errors.schema.json", res.json(), "no-suffix error");
});

await check("Open311: POST requests (form, api_key) in JSON and XML, then read them back", async () => {
  const f = { api_key: INT, service_code: "elderly_care", address_id: "xingyan-jiayuan-b2", address_string: "兴燕家园2号楼", description: "独居老人家里没人照看，请社区上门看看", first_name: "秀兰", last_name: "周", phone: "13500004444" };
  validate("open311-request-form.schema.json", f, "the test's own form");
  const j = await open311("POST", "/open311/v2/requests.json", { status: 201, body: form(f), schema: "open311-request-created.schema.json" });
  T.o311 = j.body[0].service_request_id;
  const x = await open311("POST", "/open311/v2/requests.xml", { status: 201, body: form({ ...f, service_code: "health_check", description: "想预约社区老年人体检" }) });
  const created = xmlRecords(x.xml, "service_requests", "request");
  assert(/^T\d{8}-\d{3}-\d+$/.test(created[0].service_request_id), `XML service_request_id: ${created[0].service_request_id}`);
  const one = await open311("GET", `/open311/v2/requests/${T.o311}.json?api_key=${SUP}`, { schema: "open311-requests.schema.json" });
  const r = one.body[0];
  eq([r.service_request_id, r.status, r.service_code, r.description, r.address_id, r.zipcode], [T.o311, "open", "elderly_care", f.description, "xingyan-jiayuan-b2", null], "request");
  const t = await ticket(T.o311);
  eq(r.expected_datetime, t.deadlines.resolve, "expected_datetime is the resolve deadline");
  const ox = await open311("GET", `/open311/v2/requests/${T.o311}.xml?api_key=${SUP}`);
  eq(xmlRecords(ox.xml, "service_requests", "request"), [Object.fromEntries(Object.entries(r).map(([k, v]) => [k, textOf(v)]))], "XML request");
});

await check("Open311: GET requests with status, service_code, dates, ids; api_key or bearer token", async () => {
  const all = await open311("GET", `/open311/v2/requests.json?api_key=${SUP}`, { schema: "open311-requests.schema.json" });
  assert(all.body.length >= 10, `requests listed: ${all.body.length}`);
  const open = await open311("GET", `/open311/v2/requests.json?api_key=${SUP}&status=open`, { schema: "open311-requests.schema.json" });
  assert(open.body.length > 0 && open.body.every((r) => r.status === "open"), "status=open");
  const closed = await open311("GET", `/open311/v2/requests.json?api_key=${SUP}&status=closed`, { schema: "open311-requests.schema.json" });
  assert(closed.body.some((r) => r.service_request_id === T.loop), "the closed ticket is not listed as closed");
  const codes = await open311("GET", `/open311/v2/requests.json?api_key=${SUP}&service_code=garbage,noise`, { schema: "open311-requests.schema.json" });
  assert(codes.body.length > 0 && codes.body.every((r) => ["garbage", "noise"].includes(r.service_code)), "service_code filter");
  const dated = await open311("GET", `/open311/v2/requests.json?api_key=${SUP}&start_date=2026-03-01T00:00:00%2B08:00&end_date=2026-03-02T09:30:00%2B08:00`, { schema: "open311-requests.schema.json" });
  assert(dated.body.length > 0 && !dated.body.some((r) => r.service_request_id === T.o311), "date filter");
  const ids = await open311("GET", `/open311/v2/requests.json?api_key=${SUP}&service_request_id=${T.loop},${T.hot}`, { schema: "open311-requests.schema.json" });
  eq(ids.body.map((r) => r.service_request_id).sort(), [T.loop, T.hot].sort(), "ids filter");
  const bearer = await open311("GET", "/open311/v2/requests.json?status=open", { headers: { Authorization: `Bearer ${SUP}` }, schema: "open311-requests.schema.json" });
  eq(bearer.body.length, open.body.length, "bearer token instead of api_key");
  const xml = await open311("GET", `/open311/v2/requests.xml?api_key=${SUP}&status=open`);
  eq(xmlRecords(xml.xml, "service_requests", "request").length, open.body.length, "XML list length");
});

await check("Open311 errors: no api_key 403, handler 403, bad code 400, bad status 400, bad date 400, unknown id 404, PUT 405", async () => {
  const e = (method, path, status, body) => open311(method, path, { status, body, schema: "open311-errors.schema.json" }).then((r) => eq(r.body[0].code, status, "error code"));
  await e("POST", "/open311/v2/requests.json", 403, form({ service_code: "street_light", address_id: "runtai-huayuan-b1" }));
  await e("POST", "/open311/v2/requests.json", 403, form({ api_key: HEAD, service_code: "street_light", address_id: "runtai-huayuan-b1" }));
  await e("POST", "/open311/v2/requests.json", 400, form({ api_key: INT, service_code: "ufo", address_id: "runtai-huayuan-b1" }));
  await e("GET", `/open311/v2/requests.json?api_key=${SUP}&status=pending`, 400);
  await e("GET", `/open311/v2/requests.json?api_key=${SUP}&start_date=yesterday`, 400);
  await e("GET", `/open311/v2/requests/T20990101-000-000001.json?api_key=${SUP}`, 404);
  await e("GET", "/open311/v2/requests.json?api_key=ds_forged", 403);
  const x = await open311("POST", "/open311/v2/requests.xml", { status: 400, body: form({ api_key: INT, service_code: "ufo", address_id: "runtai-huayuan-b1" }) });
  eq(xmlRecords(x.xml, "errors", "error")[0].code, "400", "XML error code");
  await e("PUT", `/open311/v2/requests.json?api_key=${SUP}`, 405);
});

// --- the catalogue of bad requests -----------------------------------------------------------------

const ticketsBeforeBad = { n: 0 };
await check("bad requests: malformed JSON, invalid UTF-8 and a non-object body are 400/400/422", async () => {
  ticketsBeforeBad.n = await totalTickets();
  await expectProblem("POST", "/api/v1/appeals", 400, "invalid_json", { token: OP, body: '{"category": "noise", ' });
  const bad = Buffer.concat([Buffer.from('{"category":"noise","description":"'), Buffer.from([0xe6, 0xa5]), Buffer.from('","location":{"jurisdiction_id":"runtai-huayuan-b1"}}')]);
  await expectProblem("POST", "/api/v1/appeals", 400, "invalid_json", { token: OP, body: bad });
  await expectProblem("POST", "/api/v1/appeals", 422, "invalid_field", { token: OP, body: "[1,2,3]" });
});

await check("bad requests: wrong types, missing fields, unknown enum values, a source_id over 400 bytes name the field (422)", async () => {
  await expectProblem("POST", "/api/v1/appeals", 422, "invalid_field", { token: OP, body: { ...appeal(), category: 5 }, field: "category" });
  await expectProblem("POST", "/api/v1/appeals", 422, "missing_field", { token: OP, body: { ...appeal(), description: undefined }, field: "description" });
  await expectProblem("POST", "/api/v1/appeals", 422, "invalid_field", { token: OP, body: { ...appeal(), channel: "fax" }, field: "channel" });
  await expectProblem("POST", "/api/v1/appeals", 422, "invalid_field", { token: OP, body: { ...appeal(), location: "润泰花园" }, field: "location" });
  await expectProblem("POST", "/api/v1/appeals", 422, "invalid_field", { token: OP, body: { ...appeal(), resident: { name: "王秀英", phone: 13812345678 } }, field: "resident.phone" });
  await expectProblem("POST", "/api/v1/appeals", 422, "invalid_field", { token: OP, body: { ...appeal(), source_id: "s".repeat(401) }, field: "source_id" });
});

await check("bad requests: unknown category and unknown place are 422", async () => {
  await expectProblem("POST", "/api/v1/appeals", 422, "unknown_category", { token: OP, body: { ...appeal(), category: "ufo_sighting" } });
  await expectProblem("POST", "/api/v1/appeals", 422, "unknown_jurisdiction", { token: OP, body: { ...appeal(), location: { jurisdiction_id: "atlantis-b1" } } });
});

await check("bad requests: text/plain is 415; a body over the limit is 413; an Idempotency-Key over 200 characters is 400", async () => {
  await expectProblem("POST", "/api/v1/appeals", 415, "unsupported_media_type", { token: OP, body: JSON.stringify(appeal()), contentType: "text/plain" });
  const huge = JSON.stringify(appeal({ description: "很".repeat(30000) }));
  await expectProblem("POST", "/api/v1/appeals", 413, "payload_too_large", { token: OP, body: huge });
  await expectProblem("POST", "/api/v1/appeals", 400, "bad_request", { token: OP, body: appeal(), headers: { "Idempotency-Key": "k".repeat(201) } });
});

await check("bad requests: no token and a forged token are 401 with WWW-Authenticate", async () => {
  const p1 = await call("POST", "/api/v1/appeals", { body: appeal() });
  checkProblem(p1, "POST", "/api/v1/appeals", 401, "unauthorized");
  assert(/^Bearer/.test(p1.headers["www-authenticate"] ?? ""), "WWW-Authenticate missing");
  await expectProblem("GET", "/api/v1/tickets", 401, "unauthorized", { token: "ds_forged0000000000000000000000000000000000" });
  await expectProblem("GET", "/api/v1/catalog/categories", 401, "unauthorized", { headers: { Authorization: "Basic ZGVtbzpkZW1v" } });
});

await check("bad requests: roles without the right are 403 (handler files, handler stats, supervisor moves the clock)", async () => {
  await expectProblem("POST", "/api/v1/appeals", 403, "forbidden", { token: HEAD, body: appeal() });
  await expectProblem("POST", "/api/v1/appeals", 403, "forbidden", { token: RSUP, body: appeal({ location: { jurisdiction_id: "xingyan-jiayuan-b1" } }), field: "location.jurisdiction_id" });
  await expectProblem("GET", "/api/v1/stats", 403, "forbidden", { token: HEAD });
  await expectProblem("POST", "/api/v1/admin/clock", 403, "forbidden", { token: SUP, body: { advance: "PT1H" } });
  await expectProblem("POST", `/api/v1/tickets/${T.hot}/actions`, 403, "forbidden", { token: OP, body: { action: "accept" } });
});

await check("bad requests: unknown ticket, unknown path are 404; a wrong method is 405 with Allow", async () => {
  await expectProblem("GET", "/api/v1/tickets/T20990101-000-000001", 404, "not_found", { token: ADM });
  await expectProblem("POST", "/api/v1/tickets/T20990101-000-000001/actions", 404, "not_found", { token: ADM, body: { action: "accept" } });
  for (const path of [`/api/v1/tickets/${T.loop}/nothing`, "/api/v1/nothing-here", "/nothing-at-all"]) {
    const res = await call("GET", path, { token: ADM });
    checkProblem(res, "GET", path, 404, "not_found", undefined, { openapiCheck: false });
  }
  const m = await call("GET", "/api/v1/appeals", { token: OP });
  checkProblem(m, "GET", "/api/v1/appeals", 405, "method_not_allowed");
  eq(m.headers.allow, "POST", "Allow");
  const d = await call("DELETE", `/api/v1/tickets/${T.loop}`, { token: ADM });
  checkProblem(d, "DELETE", `/api/v1/tickets/${T.loop}`, 405, "method_not_allowed");
});

await check("bad actions: missing or unknown action, submit, score out of range, If-Match garbage", async () => {
  const path = `/api/v1/tickets/${T.master}/actions`;
  await expectProblem("POST", path, 422, "missing_field", { token: SUP, body: { note: "没有动作" }, field: "action" });
  await expectProblem("POST", path, 422, "invalid_field", { token: SUP, body: { action: "teleport" }, field: "action" });
  await expectProblem("POST", path, 422, "invalid_field", { token: OP, body: { action: "submit" }, field: "action" });
  await expectProblem("POST", path, 422, "invalid_field", { token: OP, body: { action: "rate", score: 9 }, field: "score" });
  await expectProblem("POST", path, 422, "missing_field", { token: SUP, body: { action: "suspend" }, field: "reason" });
  await expectProblem("POST", path, 422, "invalid_field", { token: SUP, body: { action: "verify", passed: "yes" }, field: "passed" });
  await expectProblem("POST", path, 400, "bad_request", { token: SUP, body: { action: "note", note: "备注" }, headers: { "If-Match": "version-three" } });
  await expectProblem("POST", path, 409, "illegal_transition", { token: ADM, body: { action: "resolve" } });
});

await check("bad queries: worklist and stats parameters are 422 with the parameter as field", async () => {
  await expectProblem("GET", "/api/v1/tickets?status=lost", 422, "invalid_field", { token: SUP, field: "status" });
  await expectProblem("GET", "/api/v1/tickets?level=moon", 422, "invalid_field", { token: SUP, field: "level" });
  await expectProblem("GET", "/api/v1/tickets?limit=0", 422, "invalid_field", { token: SUP, field: "limit" });
  await expectProblem("GET", "/api/v1/tickets?cursor=nonsense", 422, "invalid_field", { token: SUP, field: "cursor" });
  await expectProblem("GET", "/api/v1/tickets?created_from=yesterday", 422, "invalid_field", { token: SUP, field: "created_from" });
  await expectProblem("GET", "/api/v1/tickets?jurisdiction=atlantis", 422, "unknown_jurisdiction", { token: SUP, field: "jurisdiction" });
  await expectProblem("GET", "/api/v1/stats?group_by=planet", 422, "invalid_field", { token: SUP, field: "group_by" });
  await expectProblem("GET", "/api/v1/stats?from=soon", 422, "invalid_field", { token: SUP, field: "from" });
});

await check("bad clock moves: missing, malformed, backwards are 422", async () => {
  await expectProblem("POST", "/api/v1/admin/clock", 422, "missing_field", { token: ADM, body: {}, field: "advance" });
  await expectProblem("POST", "/api/v1/admin/clock", 422, "invalid_field", { token: ADM, body: { advance: "two hours" }, field: "advance" });
  await expectProblem("POST", "/api/v1/admin/clock", 422, "invalid_field", { token: ADM, body: { set: "tomorrow" }, field: "set" });
});

await check("malformed HTTP is 400 and oversized headers are 431, both as problem+json", async () => {
  const garbage = await new Promise((resolve, reject) => {
    import("node:net").then(({ default: net }) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => s.write("THIS IS NOT HTTP\r\n\r\n"));
      const chunks = [];
      s.on("data", (d) => chunks.push(d));
      s.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
      s.on("error", reject);
    });
  });
  assert(/^HTTP\/1\.1 400/.test(garbage), `malformed request: ${garbage.slice(0, 120)}`);
  validate("problem.schema.json", JSON.parse(garbage.slice(garbage.indexOf("\r\n\r\n") + 4)), "malformed-request problem");
  const big = await call("GET", "/api/v1/tickets", { token: SUP, headers: { "X-Padding": "x".repeat(10000) } });
  checkProblem(big, "GET", "/api/v1/tickets", 431, "bad_request");
});

await check("bad requests stored nothing", async () => {
  eq(await totalTickets(), ticketsBeforeBad.n, "tickets after the catalogue of bad requests");
});

await check("address text without a place id is placed by the place names it contains (issue 3: location is a jurisdiction_id or address text)", async () => {
  const body = { channel: "hotline", category: "street_light", description: "门口的路灯不亮", location: { address: "延令街道润泰花园1号楼门口" } };
  validate("appeal-request.schema.json", body, "address-only appeal");
  const res = await call("POST", "/api/v1/appeals", { token: OP, body });
  assert(res.status === 201 || res.status === 200, `expected 201, got ${res.status}: ${res.text.slice(0, 300)}`);
  conformsToOpenapi(res, "POST", "/api/v1/appeals");
  validate("appeal-response.schema.json", res.json());
  const unplaceable = { channel: "hotline", category: "street_light", description: "路灯不亮", location: { address: "泰兴市文昌路与国庆路交叉口" } };
  validate("appeal-request.schema.json", unplaceable, "address naming no known place");
  const refused = await call("POST", "/api/v1/appeals", { token: OP, body: unplaceable });
  assert(refused.status === 422, `expected 422 for an address naming no known place, got ${refused.status}`);
  conformsToOpenapi(refused, "POST", "/api/v1/appeals");
  validate("problem.schema.json", refused.json());
  assert(refused.json().code === "unknown_jurisdiction" && refused.json().field === "location.address", refused.text);
});

await check("a token over its request rate gets 429 too_many_requests with Retry-After", async () => {
  let limited = null;
  for (let round = 0; round < 40 && !limited; round++) {
    const answers = await Promise.all(Array.from({ length: 64 }, () => call("GET", "/api/v1/catalog/categories", { token: GRID })));
    limited = answers.find((r) => r.status === 429) ?? null;
    for (const r of answers) assert(r.status === 200 || r.status === 429, `unexpected ${r.status}`);
  }
  assert(limited, "no 429 after 2560 requests");
  checkProblem(limited, "GET", "/api/v1/catalog/categories", 429, "too_many_requests");
  assert(Number(limited.headers["retry-after"]) >= 1, `Retry-After: ${limited.headers["retry-after"]}`);
});

await check("every operation in openapi.json was exercised with a documented answer", () => {
  const all = [];
  for (const [template, item] of Object.entries(openapi.paths)) {
    for (const method of Object.keys(item)) if (method !== "parameters") all.push(`${method.toUpperCase()} ${template}`);
  }
  // GET /metrics has its own check above.
  eq(all.filter((k) => !exercised.has(k) && k !== "GET /metrics"), [], "operations never exercised");
});

await check("every problem code with a 4xx status in problem.schema.json that the API can produce was seen", () => {
  const expected = ["invalid_json", "bad_request", "unauthorized", "forbidden", "not_found", "method_not_allowed", "illegal_transition", "return_limit", "top_of_ladder", "feedback_window_closed", "not_verified", "idempotency_conflict", "stale_version", "payload_too_large", "unsupported_media_type", "missing_field", "invalid_field", "unknown_category", "unknown_jurisdiction", "unknown_unit", "too_many_requests"];
  eq(expected.filter((c) => !seenProblemCodes.has(c)), [], "problem codes never produced");
});

// ============================================================================ kafka

const kafka = kafkaFromServerLine(process.env.DOORSTEP_KAFKA);
console.log(`# kafka: the embedded dev broker at ${kafka?.bootstrap ?? "?"}`);
if (!kafka) {
  await check("DOORSTEP_KAFKA is the server's 'doorstep: kafka (embedded dev broker) ...' line", () => {
    throw new Error(`DOORSTEP_KAFKA: ${JSON.stringify(process.env.DOORSTEP_KAFKA ?? null)}`);
  });
} else {
  await kafkaContract(kafka, { check, assert, eq, validate, mustReject, v1, expectOk, ADM, SUP, ID_BASE });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
