-- wrk script of `make bench` for many distinct requests: each request is the next path of a
-- list (one path a line, from the file named by the first argument after `--`), so that a
-- response cache meets mostly new URLs. Thread i of n (the second argument) takes paths
-- i, i + n, i + 2n, ... and starts over at the end. Headers come from the command line;
-- statuses and the result line as in measure.lua (loaded first).
--   wrk ... --script cycle.lua http://host:port/ -- paths.txt 2

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "measure.lua")

local count = 0
local measure_setup = setup

function setup(thread)
  count = count + 1
  thread:set("number", count)
  measure_setup(thread)
end

local paths = {}
local index = 0
local step = 1

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  step = tonumber(args[2]) or 1
  index = (number or 1) - step
end

function request()
  index = index + step
  if index > #paths then
    index = ((index - 1) % step) + 1
  end
  return wrk.format(nil, paths[index])
end
