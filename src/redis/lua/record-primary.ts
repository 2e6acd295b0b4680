// Lua: records the primary a process reached. A server is known by its run_id (what each process sees as its
// address may differ behind NAT); another run_id at another address is a failover, recorded with its time and
// the previous primary, while another run_id at the same address is that server restarted. One script, so
// among processes reconnecting at once exactly one sees the change.
//   KEYS[1] record hash, ARGV[1] host:port reached, ARGV[2] its run_id, ARGV[3] ISO time.  1 for a failover.
export const RECORD_PRIMARY_SCRIPT = `
local old = redis.call('HMGET', KEYS[1], 'address', 'run_id')
if old[2] == ARGV[2] then return 0 end
if old[1] and old[1] ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'address', ARGV[1], 'run_id', ARGV[2], 'since', ARGV[3],
    'previous', old[1], 'failover_at', ARGV[3])
  return 1
end
redis.call('HSET', KEYS[1], 'address', ARGV[1], 'run_id', ARGV[2], 'since', ARGV[3])
return 0
`;
