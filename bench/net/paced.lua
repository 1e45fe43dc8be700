-- wrk script for a light, paced load: each connection waits `ms` milliseconds (1 unless given:
-- wrk ... -s paced.lua URL -- 1) between a response and its next request, so the server is
-- mostly idle and latency measures how fast it reacts, not how long a queue it has.
init = function(args)
  pause = tonumber(args[1]) or 1
end

delay = function()
  return pause
end
