-- wrk script for bench/throughput.py: API sign-ins, each from an address of its own.
-- Arguments after "--": kind (right | refused), first user, users, domain, password, threads,
-- pause in ms before each request (0: none).
-- right: the right password on distinct accounts in turn (thread i takes i, i + threads, ...).
-- refused: in turn a locked account from a fresh address, and an unknown email from one of a
-- few addresses past their rate limit; both are refused before any hash.

local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

function init(args)
  kind, first, users, domain = args[1], tonumber(args[2]), tonumber(args[3]), args[4]
  password, stride, pause = args[5], tonumber(args[6]), tonumber(args[7])
  turn, answered = 0, {}
end

function request()
  turn = turn + 1
  local email, ip
  if kind == "right" then
    local n = (id - 1 + (turn - 1) * stride) % users
    email = string.format("user%04d@%s", first + n, domain)
    ip = string.format("10.%d.%d.%d", id, math.floor(turn / 250) % 250, turn % 250 + 1)
  elseif turn % 2 == 0 then
    email = string.format("user%04d@%s", first + turn % users, domain)
    ip = string.format("10.%d.%d.%d", 100 + id, math.floor(turn / 250) % 250, turn % 250 + 1)
  else
    email = string.format("nobody%d@%s", turn, domain)
    ip = string.format("192.0.2.%d", id)
  end
  local body = string.format('{"email": "%s", "password": "%s"}', email, password)
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}
  return wrk.format("POST", "/api/user/token/", headers, body)
end

function delay()
  return pause
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
