--[[
confirm-lane: records in Redis that the ledger committed a family's
decisions of one period: the period state moves to the ledger's new version,
the decisions stop being pending, and each event gets a settled mark for the
dedup window (the ledger's settlement record is the durable dedup).

KEYS[1]        period state   {f:<familyId>}:period:<yyyyMM>
KEYS[2..N+1]   settled marks  {f:<familyId>}:settled:<eventId>

ARGV[1]  version the decisions were made against
ARGV[2]  version after the commit
ARGV[3]  incarnation of the state the decisions were made against
ARGV[4]  dedup window, seconds
ARGV[5..] eventId, payload hash, eventId, payload hash, ... (N pairs, in KEYS order)

Only the state the decisions were made in moves to the new version: same
version, same incarnation, and every decision still pending in it. A state
loaded at the new version already holds the commit and stays. Any other
state was replaced while the ledger committed (from a read taken before the
commit, loaded afresh at the same version, or put back by a failover to a
replica that had not yet received the decisions): it is dropped, and the
next event loads it again.

Reply: 1 when the state moved to the new version, 0 otherwise.
]]
local periodKey = KEYS[1]
local before = ARGV[1]
local after = ARGV[2]
local incarnation = ARGV[3]
local dedupSeconds = tonumber(ARGV[4])

local function holdsDecisions()
  for i = 2, #KEYS do
    if redis.call('HEXISTS', periodKey, 'd:' .. ARGV[3 + (i - 1) * 2]) == 0 then
      return false
    end
  end
  return true
end

local moved = 0
local state = redis.call('HMGET', periodKey, 'v', 'i')
local version = state[1]
if version == before and state[2] == incarnation and holdsDecisions() then
  redis.call('HSET', periodKey, 'v', after)
  moved = 1
elseif version and version ~= after then
  redis.call('DEL', periodKey)
  version = nil
end
local confirmed = 0
for i = 2, #KEYS do
  local eventId = ARGV[3 + (i - 1) * 2]
  if version then
    confirmed = confirmed + redis.call('HDEL', periodKey, 'd:' .. eventId)
  end
  redis.call('SET', KEYS[i], ARGV[4 + (i - 1) * 2], 'EX', dedupSeconds)
end
if confirmed > 0 then
  redis.call('HINCRBY', periodKey, 'pn', -confirmed)
end
return moved
