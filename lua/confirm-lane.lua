--[[
confirm-lane (twin: confirm in functions/core/degraded/settle-lane-twin.ts):
records in Redis that the ledger committed the fates of a
family's events of one period: the period state moves to the ledger's new
version, the decisions stop being pending, and each event gets a settled mark
for the dedup window (the ledger's record is the durable dedup). The mark of
a settled event is its payload hash; that of an event rejected from the state
(not a member) is 'R:<version>:<payload hash>'.

KEYS[1]        period state   {f:<familyId>}:period:<yyyyMM>
KEYS[2..N+1]   settled marks  {f:<familyId>}:settled:<eventId>

ARGV[1]  version the decisions were made against
ARGV[2]  version after the commit
ARGV[3]  incarnation of the state the decisions were made against
ARGV[4]  dedup window, seconds
ARGV[5]  commit stamp of the version after the commit
ARGV[6..] per event, in KEYS order: eventId, mark, '1' when its decision is pending in the state

Only the state the decisions were made in moves to the new version: same
version, same incarnation, and every committed decision still pending in it. A state
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
local stamp = ARGV[5]

local function field(i, n)
  return ARGV[5 + (i - 2) * 3 + n]
end

local function holdsDecisions()
  for i = 2, #KEYS do
    if field(i, 3) == '1' and redis.call('HEXISTS', periodKey, 'd:' .. field(i, 1)) == 0 then
      return false
    end
  end
  return true
end

local moved = 0
local state = redis.call('HMGET', periodKey, 'v', 'i')
local version = state[1]
if version == before and state[2] == incarnation and holdsDecisions() then
  redis.call('HSET', periodKey, 'v', after, 't', stamp)
  moved = 1
elseif version and version ~= after then
  redis.call('DEL', periodKey)
  version = nil
end
local confirmed = 0
for i = 2, #KEYS do
  if version and field(i, 3) == '1' then
    confirmed = confirmed + redis.call('HDEL', periodKey, 'd:' .. field(i, 1))
  end
  redis.call('SET', KEYS[i], field(i, 2), 'EX', dedupSeconds)
end
if confirmed > 0 then
  redis.call('HINCRBY', periodKey, 'pn', -confirmed)
end
return moved
