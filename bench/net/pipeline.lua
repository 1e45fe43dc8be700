-- wrk script for HTTP pipelining, the shape of TechEmpower's plaintext test: every write sends
-- `depth` requests back to back (16 unless given: wrk ... -s pipeline.lua URL -- 16).
-- wrk counts each response, so Requests/sec counts requests, not batches.
init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
