-- wrk script of bench/datasette.py: each request asks for an entity drawn at random from the
-- USCCs listed in $BENCH_USCC_FILE, at $BENCH_URL_PREFIX .. uscc .. $BENCH_URL_SUFFIX.
local codes = {}
for line in io.lines(os.getenv("BENCH_USCC_FILE")) do
  codes[#codes + 1] = line
end
local prefix, suffix = os.getenv("BENCH_URL_PREFIX"), os.getenv("BENCH_URL_SUFFIX") or ""
math.randomseed(os.time())

request = function()
  return wrk.format("GET", prefix .. codes[math.random(#codes)] .. suffix)
end
