-- wrk script for bench/throughput.py: refused API sign-ins at a fixed rate, beside signin.lua.
-- Arguments after "--": first locked account, locked accounts, domain, password, threads,
-- attempts per second (all threads together).
-- In turn: a locked account from a fresh address (refused by the lockout), a locked account
-- from one of a few addresses past their rate limit (refused by the limiter), and an account
-- from a blocked network (refused before both). None of them costs a hash.
-- Each thread sends on a schedule of its own (thread rate = rate / threads): a connection
-- that comes free waits for the next slot, so the rate holds whatever the answers' latency,
-- as long as the connections suffice; a server that cannot keep up gets them all at once.

-- The shared answer counting and RESULT line (results.lua, beside this script).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "results.lua")

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

function init(args)
  first, users, domain, password = tonumber(args[1]), tonumber(args[2]), args[3], args[4]
  interval = 1000 * tonumber(args[5]) / tonumber(args[6])
  turn, slots, start, answered = 0, 0, nil, {}
end

function request()
  turn = turn + 1
  local email = string.format("user%04d@%s", first + turn % users, domain)
  local ip
  if turn % 3 == 0 then
    ip = string.format("10.%d.%d.%d", 100 + id, math.floor(turn / 250) % 250, turn % 250 + 1)
  elseif turn % 3 == 1 then
    ip = string.format("192.0.2.%d", id)
  else
    ip = string.format("203.0.113.%d", turn % 250 + 1)
  end
  local body = string.format('{"email": "%s", "password": "%s"}', email, password)
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}
  return wrk.format("POST", "/api/user/token/", headers, body)
end

function delay()
  start = start or now_ms()
  slots = slots + 1
  return math.max(0, math.floor(start + (slots - 1) * interval - now_ms()))
end
