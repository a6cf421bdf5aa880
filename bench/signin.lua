-- wrk script for bench/throughput.py: right-password API sign-ins on distinct accounts in
-- turn (thread i takes i, i + threads, ...), each from an address of its own.
-- Arguments after "--": first user, users, domain, password, threads.

-- The shared answer counting and RESULT line (results.lua, beside this script).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "results.lua")

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
