--[[
set-family-quota: changes a family's quota for one period in Redis after the
operator changed it in the ledger, without racing live events. Only when the
period state is present: quota := new and remaining += new - old in one step,
so bytes deducted by events in the meantime are kept. When the state is
absent nothing is written: the next event hydrates the new quota from the
ledger.

KEYS[1]  period key  {f:<familyId>}:period:<yyyyMM>

ARGV[1]  new quota, bytes (decimal integer string, >= 0)

Reply: 1 when the quota was set, 0 when the period state is absent.
]]
local periodKey = KEYS[1]
local newQuota = ARGV[1]

local oldQuota = redis.call('HGET', periodKey, 'quota')
if not oldQuota then
  return 0
end

-- Two integer increments instead of one computed delta: exact for any 64-bit
-- amount, no Lua double in between.
redis.call('HINCRBY', periodKey, 'remaining', newQuota)
if oldQuota ~= '0' then
  redis.call('HINCRBY', periodKey, 'remaining', '-' .. oldQuota)
end
redis.call('HSET', periodKey, 'quota', newQuota)
return 1
