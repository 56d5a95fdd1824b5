-- wrk script for one action of the surge scenario (one wrk process per action).
--
-- SURGE_ACTION   name printed in the result (read, submit, mypage, login, staff, bare)
-- SURGE_LINES    file of requests, one a line: METHOD PATH SESSION CSRF BODY ("-" for none);
--                BODY is form-encoded, already escaped
-- SURGE_THREADS  the wrk -t value (each thread takes every n-th line)
-- SURGE_ONCE     "1": each line is sent once (drafts); a thread that has used its lines stops sending
--                (reported as threads_out_of_lines)
-- SURGE_EXPECT   the answer that counts as success: "200", "302" or "ack" (302 to /applications/)
-- SURGE_DRAIN_AT seconds after the start from which nothing more is sent: wrk runs longer than that
--                by its timeout, so every request sent is answered or counted as a timeout before
--                wrk stops (0: send until the end)
-- SURGE_THINK_MS think time before each request of a connection (wrk's delay())
--
-- done() prints one JSON line: answers, rps (over SURGE_DRAIN_AT when set), latency p50/p95/p99/max
-- (ms), wrk's socket errors, the count per status code, successes, and for submits the acknowledged
-- submission ids.
local lines = {}
for line in io.lines(os.getenv("SURGE_LINES")) do
  local method, path, session, csrf, body = line:match("^(%S+) (%S+) (%S+) (%S+) (%S+)")
  if method then
    lines[#lines + 1] = { method = method, path = path, session = session, csrf = csrf, body = body }
  end
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("SURGE_THREADS") or "1")
  once = os.getenv("SURGE_ONCE") == "1"
  expect = os.getenv("SURGE_EXPECT") or "200"
  drain_at = tonumber(os.getenv("SURGE_DRAIN_AT") or "0")
  started = os.time()
  counter = tid
  statuses = {}
  ok = 0
  acked = {}
  think = tonumber(os.getenv("SURGE_THINK_MS") or "0")
  exhausted = 0
end

-- wrk calls request() once in the first thread before any connection, only to look at the request
-- (script_verify_request), and calls delay() before every request it sends: a request() before any
-- delay() is that look, and must not use up a line (it did: each run left one draft unsent).
local armed = false

function delay()
  -- Think time between requests (SURGE_THINK_MS); when the phase is draining or a thread has used
  -- all its lines, the connection waits past the end of the run instead of sending anything.
  armed = true
  if drain_at > 0 and os.time() - started >= drain_at then
    return 3600000
  end
  if once and counter >= #lines then
    exhausted = 1
    return 3600000
  end
  return think
end

function request()
  if not armed then  -- wrk's look at the request, never sent
    local first = lines[1]
    return wrk.format(first.method, first.path)
  end
  local entry = lines[(counter % #lines) + 1]
  counter = counter + nthreads
  local headers = {}
  local cookies = {}
  if entry.session ~= "-" then
    cookies[#cookies + 1] = "madoguchi_session=" .. entry.session
  end
  if entry.csrf ~= "-" then
    cookies[#cookies + 1] = "madoguchi_csrf=" .. entry.csrf
  end
  if #cookies > 0 then
    headers["Cookie"] = table.concat(cookies, "; ")
  end
  local body = nil
  if entry.method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = (entry.body ~= "-") and entry.body or ""
    if entry.csrf ~= "-" then
      body = "csrfmiddlewaretoken=" .. entry.csrf .. (body ~= "" and ("&" .. body) or "")
    end
    -- Django's CSRF check wants a same-origin Referer/Origin only over HTTPS; loopback is HTTP.
  end
  return wrk.format(entry.method, entry.path, headers, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if expect == "ack" then
    local location = headers["Location"] or headers["location"] or ""  -- granian sends lower-case names
    local id = location:match("/applications/([0-9a-f%-]+)/")
    if status == 302 and id then
      ok = ok + 1
      acked[#acked + 1] = id
    end
  elseif key == expect then
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local all_statuses = {}
  local total_ok, total_exhausted = 0, 0
  local ids = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses") or {}
    for k, v in pairs(s) do
      all_statuses[k] = (all_statuses[k] or 0) + v
    end
    total_ok = total_ok + (thread:get("ok") or 0)
    total_exhausted = total_exhausted + (thread:get("exhausted") or 0)
    for _, id in ipairs(thread:get("acked") or {}) do
      ids[#ids + 1] = id
    end
  end
  local parts = {}
  local answered = 0
  for k, v in pairs(all_statuses) do
    parts[#parts + 1] = string.format('"%s": %d', k, v)
    answered = answered + v
  end
  local quoted = {}
  for i, id in ipairs(ids) do
    quoted[i] = '"' .. id .. '"'
  end
  local seconds = summary.duration / 1e6
  local drain_at = tonumber(os.getenv("SURGE_DRAIN_AT") or "0")
  if drain_at > 0 and drain_at < seconds then
    seconds = drain_at -- requests were sent only until then (the rest of the run waits for answers)
  end
  local e = summary.errors
  io.write(string.format(
    '{"action": "%s", "requests": %d, "wrk_requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.1f, "p95_ms": %.1f, '
      .. '"p99_ms": %.1f, "max_ms": %.1f, "mean_ms": %.1f, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d}, "statuses": {%s}, "ok": %d, "threads_out_of_lines": %d, '
      .. '"acked_ids": [%s]}\n',
    os.getenv("SURGE_ACTION") or "?", answered, summary.requests, seconds, answered / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", "), total_ok, total_exhausted, table.concat(quoted, ", ")
  ))
end
