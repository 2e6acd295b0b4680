// Lua: deletes a lock key only while it still holds our token, so an expired lock taken over by another
// process is never released by us.   KEYS[1] lock key, ARGV[1] token.  Returns 1 when released, 0 otherwise.
export const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
