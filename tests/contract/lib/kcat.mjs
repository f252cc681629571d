// kcat as the other systems on the Kafka edge: produce exact bytes (any key, no key,
// invalid UTF-8, oversized) and read whole topics back with keys, values and headers as
// bytes. Each call is one short kcat process against `bootstrap`.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const KCAT = process.env.KCAT ?? "kcat";

function run(args, { timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(KCAT, args, { encoding: "buffer", maxBuffer: 64 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(" ").slice(0, 200)}: ${err.message} ${stderr.toString("utf8").slice(0, 500)}`));
      else resolve(stdout);
    });
  });
}

// Produces `messages` ({key: string|null, value: string|Buffer}) to `topic` in order. Each
// value goes through a file (kcat sends a file as one message, byte for byte); messages
// with the same key go in one kcat run, so one key's messages keep their order.
export async function produce(bootstrap, topic, messages) {
  const dir = mkdtempSync(join(tmpdir(), "doorstep-kcat-"));
  try {
    const runs = [];
    messages.forEach((m, i) => {
      const file = join(dir, `m${i}`);
      writeFileSync(file, Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value, "utf8"));
      const last = runs[runs.length - 1];
      if (last && last.key === m.key) last.files.push(file);
      else runs.push({ key: m.key, files: [file] });
    });
    for (const r of runs) {
      await run(["-b", bootstrap, "-P", "-t", topic, ...(r.key === null ? [] : ["-k", r.key]), ...r.files]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Reads `topic` from the beginning to its current end: [{partition, offset, timestamp,
// key, value, headers}] with key and value as Buffers (key null when the message has none)
// and headers as {name: Buffer}. kcat -J writes strings unvalidated, so the output is read
// as latin1 (one character per byte) and each string is turned back into its bytes.
export async function consume(bootstrap, topic) {
  const out = await run(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-J"]);
  const bytes = (s) => (s === null || s === undefined ? null : Buffer.from(s, "latin1"));
  return out
    .toString("latin1")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const m = JSON.parse(line);
      const headers = {};
      const h = m.headers ?? {};
      // kcat writes headers as an array [name, value, name, value, ...]
      const pairs = Array.isArray(h) ? h : Object.entries(h).flat();
      for (let i = 0; i < pairs.length; i += 2) headers[pairs[i]] = bytes(pairs[i + 1]);
      return { partition: m.partition, offset: m.offset, timestamp: m.ts, key: bytes(m.key), value: bytes(m.payload), headers };
    });
}

// Polls `topic` until `done(messages)` is true or `timeoutMs` passes; returns the last read.
export async function consumeUntil(bootstrap, topic, done, { timeoutMs = 20000, what = "the expected messages" } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const messages = await consume(bootstrap, topic);
    if (done(messages)) return messages;
    if (Date.now() > until) throw new Error(`${topic}: ${what} did not arrive within ${timeoutMs / 1000} s (${messages.length} messages read)`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
