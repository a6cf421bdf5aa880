-- wrk script for bench/throughput.py: right-password API sign-ins on distinct accounts in
-- turn (thread i takes i, i + threads, ...), each from an address of its own.
-- Arguments after "--": first user, users, domain, password, threads.

local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

function init(args)
  first, users, domain = tonumber(args[1]), tonumber(args[2]), args[3]
  password, stride = args[4], tonumber(args[5])
  turn, answered = 0, {}
end

function request()
  turn = turn + 1
  local n = (id - 1 + (turn - 1) * stride) % users
  local email = string.format("user%04d@%s", first + n, domain)
  local ip = string.format("10.%d.%d.%d", id, math.floor(turn / 250) % 250, turn % 250 + 1)
  local body = string.format('{"email": "%s", "password": "%s"}', email, password)
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}
  return wrk.format("POST", "/api/user/token/", headers, body)
end

function response(status, headers, body)
  answered[status] = (answered[status] or 0) + 1
end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("answered")) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(statuses) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, ' ..
    '"socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
