-- wrk script of `make loadtest`: the read mix, with conditional requests, and every status counted.
--
-- LOADTEST_REQUESTS names a file drive.py writes from mix.txt: one "<weight>\t<path>\t<etag>"
-- line per path. Each request picks a path at random in proportion to its weight; a share
-- (LOADTEST_IF_NONE_MATCH, default 0.25) of them send the path's ETag in If-None-Match, as a
-- client with a cache does, and are answered 304 while the response has not changed.
-- Statuses are counted per thread; done() adds them up and prints one machine-readable line:
--   LOADTEST_RESULT {"requests": ..., "statuses": {"200": ...}, "latency_us": {...}, ...}

local requests = {} -- prepared request strings: {plain = ..., conditional = ... or nil}
local cumulative = {} -- cumulative weights, for picking
local total_weight = 0
local share = 0.25
local threads = {}

-- Read by done() through thread:get(), so they must be globals of the thread's state.
statuses = {}
conditional_sent = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  share = tonumber(os.getenv("LOADTEST_IF_NONE_MATCH") or "0.25")
  local name = os.getenv("LOADTEST_REQUESTS") or error("LOADTEST_REQUESTS is not set")
  local file = io.open(name, "r") or error("cannot read " .. name)
  for line in file:lines() do
    local weight, path, etag = line:match("^(%d+)\t([^\t]+)\t?(.*)$")
    if weight then
      local entry = {plain = wrk.format("GET", path, {Accept = "application/json"})}
      if etag ~= "" then
        entry.conditional = wrk.format(
          "GET", path, {Accept = "application/json", ["If-None-Match"] = etag}
        )
      end
      total_weight = total_weight + tonumber(weight)
      table.insert(requests, entry)
      table.insert(cumulative, total_weight)
    end
  end
  file:close()
  if #requests == 0 then error("no request in " .. name) end
  math.randomseed(os.time() * 1000 + (id or 0))
end

local function pick()
  local r = math.random() * total_weight
  local low, high = 1, #cumulative
  while low < high do -- the first entry whose cumulative weight exceeds r
    local mid = math.floor((low + high) / 2)
    if cumulative[mid] > r then high = mid else low = mid + 1 end
  end
  return requests[low]
end

function request()
  local entry = pick()
  if entry.conditional and math.random() < share then
    conditional_sent = conditional_sent + 1
    return entry.conditional
  end
  return entry.plain
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, _)
  local counts, conditional = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
    conditional = conditional + thread:get("conditional_sent")
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'LOADTEST_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "conditional_sent": %d, '
      .. '"statuses": {%s}, "socket_errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, '
      .. '"mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, conditional, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean
  ))
end
