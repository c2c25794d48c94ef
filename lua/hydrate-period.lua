--[[
hydrate-period: loads a family's state for one period, read from the ledger,
into Redis. It writes only when the state is absent: a state that appeared
meanwhile (another writer hydrated it) is left as it is. Whether what Redis
holds still matches the ledger is checked when the ledger commits, against
the version `v` written here. Twin: hydrate in
functions/core/degraded/settle-lane-twin.ts.

KEYS[1]  period state  {f:<familyId>}:period:<yyyyMM>

ARGV[1]  expiry, epoch seconds
ARGV[2..] field, value, field, value, ... (see settle-lane.lua for the fields)

Reply: 1 when written, 0 when the state existed.
]]
local periodKey = KEYS[1]
if redis.call('EXISTS', periodKey) == 1 then
  return 0
end
-- HSET in slices: unpack() of a very long list can overflow the Lua stack.
local SLICE = 200
local n = #ARGV
for first = 2, n, SLICE do
  local last = math.min(first + SLICE - 1, n)
  redis.call('HSET', periodKey, unpack(ARGV, first, last))
end
redis.call('EXPIREAT', periodKey, tonumber(ARGV[1]))
return 1
