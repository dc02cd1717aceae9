-- wrk script: POST appends with a unique event id and Idempotency-Key per request.
-- wrk -s bench/append.lua URL -- <prefix> <partnerships per thread> <body file> <token>
-- Thread t appends to <prefix>-t-0 … <prefix>-t-(n-1) in turn. The body file is one event
-- (single appends: an "id" is added) or {"events": [...]}.
local counter = 0
local threads = {}
thread_id = 0

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local function uuid()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(template, "[xy]", function (c)
    local v = (c == "x") and math.random(0, 0xf) or math.random(8, 0xb)
    return string.format("%x", v)
  end))
end

function init(args)
  prefix = args[1]
  partnerships = tonumber(args[2])
  local file = assert(io.open(args[3], "r"))
  body = file:read("*a")
  file:close()
  single = string.sub(body, 1, 1) == "{" and not string.find(body, '"events"', 1, true)
  token = args[4]
  math.randomseed(os.time() * 1000 + thread_id * 7919)
  for _ = 1, thread_id * 13 do math.random() end
end

function request()
  counter = counter + 1
  local slug = prefix .. "-" .. thread_id .. "-" .. (counter % partnerships)
  local key = uuid()
  local payload = body
  if single then
    payload = '{"id": "' .. key .. '", ' .. string.sub(body, 2)
  end
  return wrk.format("POST", "/v1/partnerships/" .. slug .. "/events", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = key,
  }, payload)
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
