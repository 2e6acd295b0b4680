// Lua: records the primary a process reached; a different one than recorded is a failover, recorded with its
// time and the previous primary. One script, so among processes reconnecting at once exactly one sees the
// change.   KEYS[1] record hash, ARGV[1] host:port reached, ARGV[2] ISO time.  Returns 1 for a failover.
export const RECORD_PRIMARY_SCRIPT = `
local old = redis.call('HGET', KEYS[1], 'address')
if old == ARGV[1] then return 0 end
if old then
  redis.call('HSET', KEYS[1], 'address', ARGV[1], 'since', ARGV[2], 'previous', old, 'failover_at', ARGV[2])
  return 1
end
redis.call('HSET', KEYS[1], 'address', ARGV[1], 'since', ARGV[2])
return 0
`;
