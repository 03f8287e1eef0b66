-- Replays pre-signed, all-different webhook requests for the run's duration.
-- args: <requests file> <threads>. Each wrk thread takes every <threads>-th line, so no two
-- threads send the same body; a thread that runs out starts over (the bench reports that as
-- `repeated`, and the baseline files are sized so the project never gets there).
-- done() prints one JSON line for the bench.

local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local reqs, n = {}, 0

function init(args)
  local path, threads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(path) do
    if i % threads == tid then
      local p, h, v, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", p, {
        ["Content-Type"] = "application/json",
        [h] = v,
      }, body)
    end
    i = i + 1
  end
end

function request()
  n = n + 1
  if n > #reqs then
    n = 1
  end
  return reqs[n]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
