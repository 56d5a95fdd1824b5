-- wrk script: each request submits the next prepared draft (path, token, session, csrf per line),
-- and counts any answer that is not the redirect to the new application's page.
local lines = {}
for line in io.lines(os.getenv("BENCH_DRAFTS")) do
  local path, token, session, csrf = line:match("(%S+) (%S+) (%S+) (%S+)")
  lines[#lines + 1] = { path = path, token = token, session = session, csrf = csrf }
end
local all_threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(all_threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  counter = tid
  unexpected = 0
end

function request()
  local entry = lines[(counter % #lines) + 1]
  counter = counter + nthreads
  local body = "csrfmiddlewaretoken=" .. entry.csrf .. "&token=" .. entry.token
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "madoguchi_session=" .. entry.session .. "; madoguchi_csrf=" .. entry.csrf,
  }
  return wrk.format("POST", entry.path, headers, body)
end

function response(status, headers, body)
  local location = headers["Location"] or ""
  if status ~= 302 or not location:find("/applications/", 1, true) then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(all_threads) do
    total = total + (thread:get("unexpected") or 0)
  end
  io.write(string.format("Unexpected responses: %d\n", total))
end
