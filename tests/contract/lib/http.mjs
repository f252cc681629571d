// A small HTTP/1.1 client over a raw socket: one request per connection, full control of
// headers and bytes (invalid UTF-8, oversized bodies), and the answer is read even when
// the server closes before the whole body was sent (413).
import net from "node:net";

export function request(port, method, path, { headers = {}, body = null, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body == null ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
    const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Connection: close"];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (payload) lines.push(`Content-Length: ${payload.length}`);
    const head = Buffer.from(lines.join("\r\n") + "\r\n\r\n", "utf8");
    const chunks = [];
    const sock = net.connect({ host: "127.0.0.1", port });
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (e) {
        reject(new Error(`${method} ${path}: ${e.message}`));
      }
    };
    const timer = setTimeout(() => {
      sock.destroy();
      if (!settled) {
        settled = true;
        reject(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`));
      }
    }, timeoutMs);
    sock.on("connect", () => {
      sock.write(head);
      if (payload) sock.write(payload);
    });
    sock.on("data", (d) => chunks.push(d));
    sock.on("end", finish);
    sock.on("close", finish);
    sock.on("error", (e) => {
      // EPIPE/ECONNRESET after the server answered early (e.g. 413) still leaves an answer.
      if (chunks.length === 0 && !settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${method} ${path}: ${e.message}`));
      }
    });
  });
}

function parse(buf) {
  const sep = buf.indexOf("\r\n\r\n");
  if (sep < 0) throw new Error(`incomplete HTTP answer (${buf.length} bytes)`);
  const [statusLine, ...headerLines] = buf.subarray(0, sep).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`bad status line '${statusLine}'`);
  const headers = {};
  for (const l of headerLines) {
    const i = l.indexOf(":");
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = buf.subarray(sep + 4);
  if (headers["content-length"] !== undefined) body = body.subarray(0, Number(headers["content-length"]));
  const text = body.toString("utf8");
  return {
    status: Number(m[1]),
    headers,
    body,
    text,
    mediaType: (headers["content-type"] ?? "").split(";")[0].trim().toLowerCase(),
    json() {
      return JSON.parse(text);
    },
  };
}
