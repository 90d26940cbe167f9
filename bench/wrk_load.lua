-- wrk script of the benchmark (bench/http_load.py, load_wrk): one connection per thread,
-- the paths of $RELAIS_WRK_PATHS ("kind<TAB>path" lines) round robin from a different
-- start per thread, at most $RELAIS_WRK_MAX_PER_THREAD answers per thread; done() prints
-- one line "RELAIS_JSON {...}" with the counts and latency percentiles (microseconds).

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   kinds, paths = {}, {}
   for line in io.lines(os.getenv("RELAIS_WRK_PATHS")) do
      local kind, path = line:match("^([^\t]+)\t(.+)$")
      if kind then
         table.insert(kinds, kind)
         table.insert(paths, path)
      end
   end
   limit = tonumber(os.getenv("RELAIS_WRK_MAX_PER_THREAD") or "0")
   position = id * 7919 % #paths
   answered, statuses, by_kind = 0, {}, {}
end

function request()
   position = position % #paths + 1
   last_kind = kinds[position]
   return wrk.format("GET", paths[position], { ["Accept"] = "application/json" })
end

function response(status, headers, body)
   answered = answered + 1
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status == 200 then
      by_kind[last_kind] = (by_kind[last_kind] or 0) + 1
   end
   if limit > 0 and answered >= limit then
      wrk.thread:stop()
   end
end

local function add(into, from)
   for key, count in pairs(from) do
      into[key] = (into[key] or 0) + count
   end
end

local function object(map)
   local parts = {}
   for key, value in pairs(map) do
      table.insert(parts, string.format("%q:%s", key, tostring(value)))
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local statuses, by_kind = {}, {}
   for _, thread in ipairs(threads) do
      add(statuses, thread:get("statuses"))
      add(by_kind, thread:get("by_kind"))
   end
   local percentiles = {}
   for _, p in ipairs({ 50, 95, 99 }) do
      percentiles["p" .. p] = latency:percentile(p)
   end
   local errors = summary.errors
   io.write("RELAIS_JSON {",
      string.format('"duration_us":%d,"requests":%d,', summary.duration, summary.requests),
      string.format('"transport_errors":%d,', errors.connect + errors.read + errors.write + errors.timeout),
      '"statuses":', object(statuses), ',"by_kind":', object(by_kind),
      ',"latency_us":', object(percentiles), "}\n")
end
