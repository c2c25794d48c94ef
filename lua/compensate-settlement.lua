--[[
compensate-settlement: undoes a decision Redis made for an event the ledger
had already settled (Redis lost its dedup entry: failover, eviction, expiry),
and caches the ledger's decision instead, so the two stores converge
(SPEC §4). Idempotent: it acts only while KEYS[1] still holds the decision
of the run being undone.

KEYS[1]  decision key  {f:<familyId>}:evt:<eventId>
KEYS[2]  period key    {f:<familyId>}:period:<yyyyMM>

ARGV[1]  run id of the decision to undo
ARGV[2]  the ledger's decision, JSON in the shape settle-usage caches
ARGV[3]  dedup window, seconds

Reply: 1 when compensated, 0 when there was nothing (left) to undo.
]]
local decisionKey = KEYS[1]
local periodKey = KEYS[2]
local undoRun = ARGV[1]
local ledgerDecision = ARGV[2]
local dedupSeconds = tonumber(ARGV[3])

local cached = redis.call('GET', decisionKey)
if not cached then
  return 0
end
local decision = cjson.decode(cached)
if decision.r ~= undoRun then
  return 0
end

if decision.c == 1 and redis.call('HEXISTS', periodKey, 'quota') == 1 then
  redis.call('HINCRBY', periodKey, 'remaining', decision.b)
  redis.call('HINCRBY', periodKey, 'used:' .. decision.u, '-' .. decision.b)
end

local kept = {}
for _, marker in ipairs(cjson.decode(ledgerDecision).m) do
  kept[marker] = true
end
for _, marker in ipairs(decision.m) do
  if not kept[marker] then
    redis.call('HDEL', periodKey, 'alert:' .. marker)
  end
end

redis.call('SET', decisionKey, ledgerDecision, 'EX', dedupSeconds)
return 1
