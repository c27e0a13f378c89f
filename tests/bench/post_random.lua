-- wrk script: POSTs for random names among BENCH_RECORDS generated records
-- (host<i>.bench.example.com, address unchanged), so most requests miss
-- ddnsd's record cache and read the store.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local key = os.getenv("BENCH_KEY")
local n = tonumber(os.getenv("BENCH_RECORDS"))

function init(args)
	math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
	local i = math.random(0, n - 1)
	return wrk.format(nil, "/dynamicdns/update/host" .. i .. ".bench.example.com/", nil,
		"key=" .. key .. "&ip=203.0.113." .. (i % 250 + 1))
end
