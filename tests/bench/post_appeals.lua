-- tests/bench/post_appeals.lua: wrk script for the HTTP benchmark.
--   [DOORSTEP_BENCH_RATE=R] wrk -t2 -c64 -d10s -s post_appeals.lua http://127.0.0.1:PORT -- BODIES TOKEN
-- POSTs the appeals in BODIES (one JSON body a line, the spring sample's Chinese text)
-- to /api/v1/appeals in turn over keep-alive connections. With DOORSTEP_BENCH_RATE each
-- wrk thread paces its requests to R a second (open loop: a late request is sent at
-- once, at most 100 ms of backlog is caught up); without it there is no delay() at all
-- and requests go as fast as answers come back (closed loop: the peak). done() prints
-- one JSON line for the runner.
-- Latency is wrk's: from writing a request to reading its answer.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local bodies = {}
local headers = {}
local next_body = 1
-- Read at load time in every Lua state, so wrk sees delay() only when pacing.
local rate = tonumber(os.getenv("DOORSTEP_BENCH_RATE") or "0")

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  if #bodies == 0 then error("no bodies in " .. args[1]) end
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[2]
  -- threads start at different points of the sample
  math.randomseed(tonumber(tostring({}):match("0x(%x+)"), 16) % 2147483647)
  next_body = math.random(#bodies)
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/api/v1/appeals", headers, body)
end

if rate > 0 then
  local interval_ms = 1000 / rate
  local next_at = nil
  function delay()
    local now = now_ms()
    if next_at == nil or next_at < now - 100 then next_at = now end
    next_at = next_at + interval_ms
    local wait = next_at - now
    if wait <= 0 then return 0 end
    return math.floor(wait)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"per_second":%.1f,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
