-- wrk script for bench/floor.py: one request over and over.
-- Arguments after "--": method, path, X-Forwarded-For address ("-" for none), JSON body ("-" for none).

-- The shared answer counting and RESULT line (results.lua, beside this script).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "results.lua")

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
