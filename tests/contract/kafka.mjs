// The Kafka part of the contract test: messages kcat really produces to and reads from the
// embedded dev broker of `doorstep serve --kafka embedded`, checked against
// schemas/v1/kafka-*.schema.json. contract.mjs runs it after the HTTP checks, so the
// ticket-event topic also holds every event those checks caused (all 22 types).
//
// Env: DOORSTEP_KAFKA: the server's "doorstep: kafka (embedded dev broker) <bootstrap>:
// consuming <appeals>, <commands>; publishing <ticket events>, <dlq>" line.
import { consume, consumeUntil, produce } from "./lib/kcat.mjs";

// Parses the server's kafka line into the bootstrap address and topic names.
export function kafkaFromServerLine(line) {
  const m = /^doorstep: kafka \(embedded dev broker\) (\S+): consuming ([^,\s]+), ([^;\s]+); publishing ([^,\s]+), (\S+)$/.exec(line ?? "");
  if (!m) return null;
  return { bootstrap: m[1], appeals: m[2], commands: m[3], events: m[4], dlq: m[5] };
}

const text = (b) => (b === null ? null : b.toString("utf8"));
const headerText = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, text(v)]));
const byPosition = (a, b) => a.partition - b.partition || a.offset - b.offset;

// ctx: the checks and HTTP helpers of contract.mjs.
export async function kafkaContract(kafka, ctx) {
  const { check, assert, eq, validate, mustReject, v1, expectOk, ADM, SUP, ID_BASE } = ctx;
  const def = (file, pointer) => {
    const fn = v1.ajv.getSchema(`${ID_BASE}${file}#${pointer}`);
    return (data, what) => {
      if (!fn(data)) throw new Error(`${what} does not match ${file}#${pointer}: ${JSON.stringify(fn.errors?.slice(0, 4))}\n    data: ${JSON.stringify(data).slice(0, 400)}`);
    };
  };
  const eventKey = def("kafka-ticket-event.schema.json", "/$defs/key");
  const eventHeaders = def("kafka-ticket-event.schema.json", "/$defs/headers");

  // Ticket events on the topic, parsed, in partition and offset order.
  const parsed = (ms) => ms.map((m) => ({ ...m, event: JSON.parse(text(m.value)) })).sort(byPosition);
  const readEvents = async (done = () => true, what = "the events") =>
    parsed(await consumeUntil(kafka.bootstrap, kafka.events, (ms) => done(parsed(ms)), { what }));
  const ticketOf = (ms, sourceId) => ms.find((m) => m.event.type === "received" && m.event.data.appeal.source_id === sourceId)?.event.ticket_id;
  const eventsOf = (ms, ticketId) => ms.filter((m) => m.event.ticket_id === ticketId).map((m) => m.event);

  // --- the schemas by themselves ---------------------------------------------------------------

  const goodAppeal = { source_id: "12345-20260307-0001", category: "noise", description: "楼上深夜还在装修", location: { jurisdiction_id: "runtai-huayuan-b1" } };
  const goodCommand = { command_id: "crm-1", ticket_id: "T20260302-006-000001", action: "rate", score: 4, comment: "处理及时" };
  const goodDlq = {
    "doorstep.source.topic": "doorstep.appeals.v1",
    "doorstep.source.partition": "3",
    "doorstep.source.offset": "0",
    "doorstep.source.timestamp": "1772413200000",
    "doorstep.error.code": "wrong_key",
    "doorstep.error.reason": "message key 'xingyan' is not the community of place runtai-huayuan-b1 (runtai)",
  };
  await check("kafka schemas accept hand-made messages and reject wrong ones", () => {
    validate("kafka-appeal.schema.json", goodAppeal, "hand-made appeal");
    mustReject("kafka-appeal.schema.json", { ...goodAppeal, source_id: undefined }, "no source_id");
    mustReject("kafka-appeal.schema.json", { ...goodAppeal, source_id: "" }, "empty source_id");
    mustReject("kafka-appeal.schema.json", { ...goodAppeal, channel: "fax" }, "unknown channel");
    mustReject("kafka-appeal.schema.json", { ...goodAppeal, priority: "high" }, "unknown field");
    validate("kafka-command.schema.json", goodCommand, "hand-made command");
    validate("kafka-command.schema.json", { command_id: "c", ticket_id: goodCommand.ticket_id, action: "accept", actor_id: "wuye-1", expected_version: 0 }, "accept");
    mustReject("kafka-command.schema.json", { ...goodCommand, command_id: undefined }, "no command_id");
    mustReject("kafka-command.schema.json", { ...goodCommand, command_id: "c".repeat(201) }, "command_id over 200");
    mustReject("kafka-command.schema.json", { ...goodCommand, ticket_id: undefined }, "no ticket_id");
    mustReject("kafka-command.schema.json", { ...goodCommand, expected_version: -1 }, "negative expected_version");
    mustReject("kafka-command.schema.json", { ...goodCommand, action: "verify", passed: true, score: undefined, comment: undefined }, "verify: not for integrations");
    mustReject("kafka-command.schema.json", { ...goodCommand, action: "submit", score: undefined, comment: undefined }, "submit");
    mustReject("kafka-command.schema.json", { ...goodCommand, action: "accept" }, "accept with a score");
    mustReject("kafka-command.schema.json", { ...goodCommand, score: undefined }, "rate without score");
    mustReject("kafka-command.schema.json", { ...goodCommand, colour: "red" }, "unknown field");
    validate("kafka-dlq-headers.schema.json", goodDlq, "hand-made DLQ headers");
    mustReject("kafka-dlq-headers.schema.json", { ...goodDlq, "doorstep.error.code": "oops" }, "unknown code");
    mustReject("kafka-dlq-headers.schema.json", { ...goodDlq, "doorstep.source.offset": "-1" }, "negative offset");
    mustReject("kafka-dlq-headers.schema.json", { ...goodDlq, "doorstep.error.reason": undefined }, "no reason");
    mustReject("kafka-dlq-headers.schema.json", { ...goodDlq, "x-trace": "1" }, "unknown header");
    eventHeaders({ "doorstep.event_id": "T20260302-006-000001/2", "doorstep.event_type": "dispatched" }, "hand-made headers");
    let threw = false;
    try {
      eventHeaders({ "doorstep.event_id": "T20260302-006-000001/2", "doorstep.event_type": "teleported" }, "bad headers");
    } catch {
      threw = true;
    }
    assert(threw, "kafka-ticket-event $defs/headers accepted an unknown event type");
  });

  // --- appeals and commands in, events out ---------------------------------------------------

  const A1 = {
    source_id: "12345-20260309-0001",
    category: "neighbour_dispute",
    description: "楼上住户在楼道里堆放杂物，多次沟通无果",
    location: { jurisdiction_id: "runtai-huayuan-b1", address: "润泰花园1号楼" },
    resident: { name: "陈美玲", phone: "13611112222" },
  };
  const A2 = {
    source_id: "app-msg-88001",
    channel: "app",
    category: "public_space",
    severity: "normal",
    description: "小区健身器材损坏，老人孩子容易受伤",
    location: { address: "延令街道润泰花园3号楼" },
    reported_at: "2026-03-07T08:30:00+08:00",
  };
  const A3 = {
    source_id: "wechat-7731",
    category: "water_outage",
    description: "兴燕家园2号楼整栋停水，没有任何通知",
    location: { jurisdiction_id: "xingyan-jiayuan-b2" },
    resident: { name: "周建华", phone: "13900003333" },
  };
  const K = {};
  await check(`appeals produced to ${kafka.appeals} (kafka-appeal.schema.json) become tickets; channel defaults to integration`, async () => {
    for (const a of [A1, A2, A3]) validate("kafka-appeal.schema.json", a, `the test's own appeal ${a.source_id}`);
    await produce(kafka.bootstrap, kafka.appeals, [
      { key: "runtai", value: JSON.stringify(A1) },
      { key: "runtai", value: JSON.stringify(A2) },
      { key: "xingyan", value: JSON.stringify(A3) },
    ]);
    const ms = await readEvents((ms) => [A1, A2, A3].every((a) => ticketOf(ms, a.source_id)), "the received events of the three appeals");
    [K.a1, K.a2, K.a3] = [A1, A2, A3].map((a) => ticketOf(ms, a.source_id));
    const r1 = eventsOf(ms, K.a1)[0];
    eq([r1.type, r1.data.appeal.channel, r1.data.community_id], ["received", "integration", "runtai"], "A1 received");
    eq(r1.data.appeal.resident, A1.resident, "A1 resident, unmasked on the topic");
    eq(r1.actor, { role: "integration", id: `kafka:${kafka.appeals}` }, "A1 actor");
    eq(r1.causation, `kafka-${A1.source_id}`, "A1 causation");
    const r2 = eventsOf(ms, K.a2)[0];
    eq([r2.data.appeal.channel, r2.data.appeal.location.jurisdiction_id, r2.data.appeal.reported_at], ["app", "runtai-huayuan-b3", A2.reported_at], "A2 placed by its address");
    eq(eventsOf(ms, K.a3)[0].data.community_id, "xingyan", "A3 community");
  });

  await check(`commands produced to ${kafka.commands} (kafka-command.schema.json) act once per command_id, as the integration role`, async () => {
    assert(K.a1, "no ticket from the appeals");
    const { body: before } = await expectOk("GET", `/api/v1/tickets/${K.a1}`, { token: ADM, schema: "ticket.schema.json" });
    K.c = [
      { command_id: "crm-7001", ticket_id: K.a1, action: "accept", actor_id: "wuye-zhangsan", expected_version: before.version },
      { command_id: "crm-7002", ticket_id: K.a1, action: "contact", note: "已电话联系双方，约定周六上门协调", actor_id: "wuye-zhangsan" },
      { command_id: "crm-7003", ticket_id: K.a1, action: "note", note: "物业已安排人员清理楼道杂物" },
      { command_id: "crm-7004", ticket_id: K.a1, action: "resolve", note: "杂物已清理，双方达成一致" },
    ];
    for (const c of K.c) validate("kafka-command.schema.json", c, `the test's own command ${c.command_id}`);
    const values = K.c.map((c) => JSON.stringify(c));
    await produce(kafka.bootstrap, kafka.commands, [...values, values[0]].map((value) => ({ key: "runtai", value })));
    const ms = await readEvents((ms) => eventsOf(ms, K.a1).some((e) => e.type === "resolved"), `the resolved event of ${K.a1}`);
    const evs = eventsOf(ms, K.a1).slice(before.version);
    eq(evs.map((e) => [e.type, e.actor.id, e.causation]), [
      ["accepted", "wuye-zhangsan", "kafka-crm-7001"],
      ["contacted", "wuye-zhangsan", "kafka-crm-7002"],
      ["noted", `kafka:${kafka.commands}`, "kafka-crm-7003"],
      ["resolved", `kafka:${kafka.commands}`, "kafka-crm-7004"],
    ], "events of the commands (type, actor id, causation)");
    assert(evs.every((e) => e.actor.role === "integration"), "an event of a command is not by the integration role");
    eq(evs[1].data.note, K.c[1].note, "contacted note");
  });

  // --- the dead-letter catalogue ------------------------------------------------------------------

  const bad = [];
  const appealBad = (name, key, value, code, schema) => bad.push({ name, topic: kafka.appeals, key, value, code, schema: schema && "kafka-appeal.schema.json", schemaRejects: schema === "rejects" });
  const commandBad = (name, key, value, code, schema) => bad.push({ name, topic: kafka.commands, key, value, code, schema: schema && "kafka-command.schema.json", schemaRejects: schema === "rejects" });
  await check(`unusable messages go to ${kafka.dlq} byte for byte, with headers matching kafka-dlq-headers.schema.json and the expected code`, async () => {
    assert(K.a1 && K.a3 && K.c, "no tickets or commands from the checks before");
    const ap = (over) => JSON.stringify({ ...A1, source_id: `bad-${bad.length}`, ...over });
    appealBad("malformed JSON", "runtai", '{"category": "noise", ', "invalid_json");
    appealBad("invalid UTF-8", "runtai", Buffer.concat([Buffer.from('{"source_id":"bad-utf8","category":"noise","description":"'), Buffer.from([0xe6, 0xa5]), Buffer.from('","location":{"jurisdiction_id":"runtai-huayuan-b1"}}')]), "invalid_json");
    appealBad("not an object", "runtai", "[1,2,3]", "schema_violation", "rejects");
    appealBad("no source_id", "runtai", ap({ source_id: undefined, description: "没有来源编号的诉求" }), "schema_violation", "rejects");
    appealBad("description is a number", "runtai", ap({ description: 5 }), "schema_violation", "rejects");
    appealBad("no key", null, ap({ description: "没有消息键的诉求" }), "wrong_key", "accepts");
    appealBad("key of another community", "xingyan", ap({ description: "消息键是别的社区" }), "wrong_key", "accepts");
    appealBad("unknown place", "runtai", ap({ location: { jurisdiction_id: "atlantis-b1" } }), "unknown_jurisdiction", "accepts");
    appealBad("unknown category", "runtai", ap({ category: "ufo_sighting" }), "unknown_category", "accepts");
    appealBad("source_id over 400 bytes", "runtai", ap({ source_id: "s".repeat(401) }), "invalid_field", "rejects");
    appealBad("over kafka.max_message_bytes", "runtai", ap({ description: "很".repeat(30000) }), "too_large", "rejects");
    const cmd = (over) => JSON.stringify({ command_id: `bad-cmd-${bad.length}`, ticket_id: K.a1, action: "note", note: "备注", ...over });
    commandBad("verify: not an integration's action", "runtai", cmd({ action: "verify", passed: true, note: undefined }), "forbidden", "rejects");
    commandBad("submit on the commands topic", "runtai", cmd({ action: "submit", note: undefined }), "schema_violation", "rejects");
    commandBad("no command_id", "runtai", cmd({ command_id: undefined }), "schema_violation", "rejects");
    commandBad("command_id over 200 bytes", "runtai", cmd({ command_id: "c".repeat(201) }), "schema_violation", "rejects");
    commandBad("actor_id over 200 bytes", "runtai", cmd({ actor_id: "a".repeat(201) }), "schema_violation", "rejects");
    commandBad("negative expected_version", "runtai", cmd({ expected_version: -1 }), "schema_violation", "rejects");
    commandBad("rate without score", "runtai", cmd({ action: "rate", note: undefined }), "schema_violation", "rejects");
    commandBad("unknown ticket", "runtai", cmd({ ticket_id: "T20990101-000-000001" }), "not_found", "accepts");
    commandBad("ticket of another community", "runtai", cmd({ ticket_id: K.a3 }), "wrong_key", "accepts");
    commandBad("accept a resolved ticket", "runtai", cmd({ action: "accept", note: undefined }), "illegal_transition", "accepts");
    commandBad("stale expected_version", "runtai", cmd({ expected_version: 1 }), "stale_version", "accepts");
    commandBad("rate before verification", "runtai", cmd({ action: "rate", score: 5, note: undefined }), "not_verified", "accepts");
    commandBad("a command_id again with other bytes", "runtai", JSON.stringify({ ...K.c[2], note: "另一条备注" }), "idempotency_conflict", "accepts");

    for (const b of bad.filter((x) => x.schema)) {
      const value = JSON.parse(b.value);
      if (b.schemaRejects) mustReject(b.schema, value, b.name);
      else validate(b.schema, value, `${b.name} (only the engine can refuse it)`);
    }
    for (const topic of [kafka.appeals, kafka.commands]) {
      await produce(kafka.bootstrap, topic, bad.filter((b) => b.topic === topic));
    }
    const same = (buf, v) => buf !== null && Buffer.compare(buf, Buffer.isBuffer(v) ? v : Buffer.from(v, "utf8")) === 0;
    const dlq = await consumeUntil(kafka.bootstrap, kafka.dlq, (ms) => bad.every((b) => ms.some((m) => same(m.value, b.value))), { what: "every bad message" });
    const sources = { [kafka.appeals]: await consume(kafka.bootstrap, kafka.appeals), [kafka.commands]: await consume(kafka.bootstrap, kafka.commands) };
    const problems = [];
    for (const b of bad) {
      const m = dlq.find((x) => same(x.value, b.value));
      const h = headerText(m.headers);
      try {
        validate("kafka-dlq-headers.schema.json", h, `DLQ headers of '${b.name}'`);
        eq([h["doorstep.error.code"], h["doorstep.source.topic"]], [b.code, b.topic], `'${b.name}' code and source topic (reason: ${h["doorstep.error.reason"]})`);
        eq(text(m.key), b.key, `'${b.name}' key`);
        const src = sources[b.topic].find((s) => String(s.partition) === h["doorstep.source.partition"] && String(s.offset) === h["doorstep.source.offset"]);
        assert(src && same(src.value, b.value), `'${b.name}': doorstep.source.partition/offset do not point at the original message`);
        eq(h["doorstep.source.timestamp"], String(src.timestamp), `'${b.name}' source timestamp`);
      } catch (e) {
        problems.push(e.message);
      }
    }
    assert(problems.length === 0, problems.join("\n    "));
    eq(dlq.length, bad.length, "messages on the DLQ (the valid ones and the redelivered command are not there)");
  });

  await check("after the catalogue, the Kafka-made ticket moved only by its four commands (a repeated command_id applied once)", async () => {
    const { body } = await expectOk("GET", `/api/v1/tickets/${K.a1}`, { token: ADM, schema: "ticket.schema.json" });
    eq([body.status, body.version], ["resolved", 6], "status and version");
  });

  // --- every event on the ticket-event topic -------------------------------------------------------

  await check(`every message on ${kafka.events} matches kafka-ticket-event.schema.json; key and headers match the value`, async () => {
    const { body: list } = await expectOk("GET", "/api/v1/tickets?limit=500", { token: ADM, schema: "worklist.schema.json" });
    assert(list.next_cursor === null, "more than 500 tickets");
    const expected = list.tickets.reduce((n, t) => n + t.version, 0);
    const ms = await readEvents((ms) => new Set(ms.map((m) => m.event.event_id)).size >= expected, `${expected} events`);
    const problems = [];
    for (const m of ms) {
      try {
        validate("kafka-ticket-event.schema.json", m.event, `event ${m.event.event_id}`);
        eventKey(text(m.key), `key of ${m.event.event_id}`);
        eq(text(m.key), m.event.ticket_id, `key of ${m.event.event_id}`);
        const h = headerText(m.headers);
        eventHeaders(h, `headers of ${m.event.event_id}`);
        eq([h["doorstep.event_id"], h["doorstep.event_type"]], [m.event.event_id, m.event.type], `headers of ${m.event.event_id}`);
      } catch (e) {
        problems.push(e.message);
      }
      if (problems.length >= 5) break;
    }
    assert(problems.length === 0, problems.join("\n    "));
    // One ticket's events: one partition, in seq order (a repeat after a restart would be identical).
    for (const t of list.tickets) {
      const mine = ms.filter((m) => m.event.ticket_id === t.ticket_id);
      assert(new Set(mine.map((m) => m.partition)).size === 1, `${t.ticket_id}: events on several partitions`);
      const seqs = [...new Set(mine.map((m) => m.event.seq))];
      eq(seqs, Array.from({ length: t.version }, (_, i) => i + 1), `${t.ticket_id}: seqs on the topic`);
    }
    const all = v1.schemas.find((s) => s.file === "event.schema.json").schema.$defs.type.enum;
    eq(all.filter((type) => !ms.some((m) => m.event.type === type)), [], "event types never published");
  });

  await check(`${kafka.events} carries the stored event: equal to the admin's GET .../events, unmasked where a supervisor sees 陈** / 136****2222`, async () => {
    const ms = await readEvents();
    const { body: list } = await expectOk("GET", "/api/v1/tickets?limit=500", { token: ADM, schema: "worklist.schema.json" });
    for (const t of list.tickets) {
      const { body } = await expectOk("GET", `/api/v1/tickets/${t.ticket_id}/events`, { token: ADM, schema: "events-list.schema.json" });
      const published = [...new Map(eventsOf(ms, t.ticket_id).map((e) => [e.event_id, e])).values()];
      eq(published, body.events, `${t.ticket_id}: topic vs GET events (admin)`);
    }
    const { body: masked } = await expectOk("GET", `/api/v1/tickets/${K.a1}/events`, { token: SUP, schema: "events-list.schema.json" });
    eq(masked.events[0].data.appeal.resident, { name: "陈**", phone: "136****2222" }, "supervisor's view");
    eq(eventsOf(ms, K.a1)[0].data.appeal.resident, A1.resident, "the topic's received event");
  });
}
