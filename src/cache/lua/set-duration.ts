// Lua: records the full refresh time in the meta hash once the write has been acknowledged, but only while the
// hash still describes that refresh (a clear or a newer refresh in between must not get a stray field).
//   KEYS[1] meta hash, ARGV[1] model_version, ARGV[2] generated_at, ARGV[3] duration_ms.  Returns 1 if set.
export const SET_DURATION_SCRIPT = `
local meta = redis.call('HMGET', KEYS[1], 'model_version', 'generated_at')
if meta[1] == ARGV[1] and meta[2] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'duration_ms', ARGV[3])
  return 1
end
return 0
`;
