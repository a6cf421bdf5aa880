-- wrk script for bench/floor.py: one request over and over.
-- Arguments after "--": method, path, X-Forwarded-For address ("-" for none), JSON body ("-" for none).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local headers = {}
  if args[3] ~= "-" then headers["X-Forwarded-For"] = args[3] end
  local body = nil
  if args[4] ~= "-" then
    body = args[4]
    headers["Content-Type"] = "application/json"
  end
  req = wrk.format(args[1], args[2], headers, body)
  answered = {}
end

function request()
  return req
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
  io.write(string.format('RESULT {"requests": %d, "seconds": %f, "p50": %f, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    table.concat(parts, ", ")))
end
