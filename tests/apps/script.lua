-- Issue 4: lua5.4 using string, table, io and os; compared with a native run.
local t = {}
for i = 1, 1000 do t[#t + 1] = (i * 7919) % 1009 end
table.sort(t, function(a, b) return a > b end)
print("sorted", t[1], t[2], t[#t], #t)
print("concat", table.concat({ "a", "b", "c" }, "-"), table.unpack({ 1, 2, 3 }))
local m = table.move({ 1, 2, 3 }, 1, 3, 2, { 9 })
print("move", table.concat(m, ","))

print("format", string.format("%5.2f|%-5s|%x|%q", math.pi, "ab", 255, "a\nb"))
print("gsub", ("hello world from lua"):gsub("(%w+)", "<%1>"))
print("match", string.match("key = value42", "(%w+)%s*=%s*(%a+)(%d+)"))
local words = {}
for w in string.gmatch("the quick brown fox", "%a+") do words[#words + 1] = w:upper() end
print("gmatch", table.concat(words, " "))
print("rep/rev/byte", ("ab"):rep(3, ","), ("lua"):reverse(), ("A"):byte(), string.char(72, 105))
print("pack", string.unpack("<i4", string.pack("<i4", -2)), #string.pack("z", "abc"))
print("utf8", utf8.len("h\u{e9}llo"), utf8.char(72, 228))

-- io: write, append, read back by lines and in chunks, seek
local name = "lua-io.txt"
local f = assert(io.open(name, "w"))
for i = 1, 100 do f:write(string.format("line %03d %s\n", i, ("x"):rep(i % 13))) end
f:close()
f = assert(io.open(name, "a"))
f:write("appended\n")
f:close()
local n, bytes = 0, 0
for l in io.lines(name) do n = n + 1; bytes = bytes + #l + 1 end
print("io lines", n, bytes)
f = assert(io.open(name, "r"))
print("io seek", f:seek("end"), f:seek("set", 9), f:read(8), f:read("n"))
f:close()
f = assert(io.open(name, "rb"))
local all = f:read("a")
f:close()
print("io read all", #all, select(2, all:gsub("\n", "")))

-- os: files, environment, time and date (fixed values only), clock
assert(os.rename(name, "lua-io2.txt"))
print("os rename", io.open(name) == nil, io.open("lua-io2.txt") ~= nil)
print("os remove", os.remove("lua-io2.txt"), os.remove("lua-io2.txt") == nil)
print("os getenv", os.getenv("PATH"), os.getenv("NO_SUCH_VARIABLE"))
print("os date", os.date("!%Y-%m-%d %H:%M:%S", 1700000000), os.date("!*t", 0).year)
print("os time", os.time({ year = 2024, month = 2, day = 29, hour = 12 }) - os.time({ year = 2024, month = 1, day = 1, hour = 12 }))
local now = os.time()
print("os time sane", now > 1700000000, type(os.clock()) == "number", os.difftime(now + 5, now))
local tmp = os.tmpname()
f = assert(io.open(tmp, "w")); f:write("tmp"); f:close()
print("os tmpname", tmp:sub(1, 5), os.remove(tmp))
print("ok")
