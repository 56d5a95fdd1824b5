-- wrk script: each request submits the next prepared draft (path, token, session, csrf per line).
local lines = {}
for line in io.lines(os.getenv("BENCH_DRAFTS")) do
  local path, token, session, csrf = line:match("(%S+) (%S+) (%S+) (%S+)")
  lines[#lines + 1] = { path = path, token = token, session = session, csrf = csrf }
end
local counter = 0
local thread_id = 0
local threads = 1

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  counter = thread_id
end

function request()
  local entry = lines[(counter % #lines) + 1]
  counter = counter + threads
  local body = "csrfmiddlewaretoken=" .. entry.csrf .. "&token=" .. entry.token
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "madoguchi_session=" .. entry.session .. "; madoguchi_csrf=" .. entry.csrf,
  }
  return wrk.format("POST", entry.path, headers, body)
end
