// Lua: looks up cells and counts the outcome atomically in one round trip, so a reader can never pair a value
// with the wrong model version (a refresh replaces keys and meta in one transaction, between two scripts).
//   KEYS[1] meta hash, KEYS[2] hits counter, KEYS[3] misses counter, KEYS[4..] cell keys
//   ARGV[1] the model version the caller serves ('' = accept whatever is cached)
// Returns { cached model_version or false, value1 or false, value2 or false, … }. A value counts as a hit only
// when the cached version is the one expected; everything else (absent key, other version) counts as a miss.
export const LOOKUP_SCRIPT = `
local version = redis.call('HGET', KEYS[1], 'model_version')
local n = #KEYS - 3
local values = {}
if n > 0 then values = redis.call('MGET', unpack(KEYS, 4)) end
local hits = 0
local ok = version and (ARGV[1] == '' or ARGV[1] == version)
for i = 1, n do
  if ok and values[i] then hits = hits + 1 else values[i] = false end
end
if hits > 0 then redis.call('INCRBY', KEYS[2], hits) end
if n - hits > 0 then redis.call('INCRBY', KEYS[3], n - hits) end
local out = { version or false }
for i = 1, n do out[i + 1] = values[i] end
return out
`;
