--[[
settle-usage: decides one usage event atomically (SPEC §3).

KEYS[1]  decision key   {f:<familyId>}:evt:<eventId>     cached decision (JSON), TTL = dedup window
KEYS[2]  period key     {f:<familyId>}:period:<yyyyMM>   HASH: quota, remaining, used:<customerId>, alert:<marker>
KEYS[3]  policy key     {f:<familyId>}:policy:<customerId> HASH: v, manual, limit, window, app:<appId>

ARGV[1]  customerId
ARGV[2]  appId, normalised (trimmed, lower-case); '' when absent
ARGV[3]  bytesUsed (integer > 0)
ARGV[4]  local time of the event, HHmm, in the settlement zone
ARGV[5]  payload hash of the event
ARGV[6]  dedup window, seconds
ARGV[7]  expiry of the period key, epoch seconds
ARGV[8]  run id: identifies this decision so a ledger record can be matched to it

Reply (array of strings):
  {'NEW', decision}        decided now; decision is the JSON cached under KEYS[1]
  {'DUP', decision}        decided before with the same payload; nothing changed
  {'CONFLICT', decision}   eventId decided before with another payload; nothing changed
  {'HYDRATE', what}        'family' | 'member' | 'policy' state is missing; nothing changed
Decision JSON: {s=status, c=counted(0|1), n=notify(0|1), b='<bytes>', u=customerId, h=payloadHash,
                m=[alert markers set by this decision], r=run id}
]]
local decisionKey = KEYS[1]
local periodKey = KEYS[2]
local policyKey = KEYS[3]

local customerId = ARGV[1]
local appId = ARGV[2]
local bytes = tonumber(ARGV[3])
local hhmm = tonumber(ARGV[4])
local payloadHash = ARGV[5]
local dedupSeconds = tonumber(ARGV[6])
local periodExpireAt = tonumber(ARGV[7])
local runId = ARGV[8]

local cached = redis.call('GET', decisionKey)
if cached then
  if cjson.decode(cached).h ~= payloadHash then
    return {'CONFLICT', cached}
  end
  return {'DUP', cached}
end

local usedField = 'used:' .. customerId
if redis.call('HEXISTS', periodKey, 'quota') == 0 then
  return {'HYDRATE', 'family'}
end
if redis.call('HEXISTS', periodKey, usedField) == 0 then
  return {'HYDRATE', 'member'}
end
if redis.call('EXISTS', policyKey) == 0 then
  return {'HYDRATE', 'policy'}
end

-- Policy values were validated when written; anything unreadable here is
-- ignored rather than failing every event of the member.
local policy = redis.call('HMGET', policyKey, 'manual', 'limit', 'window')
local manual = policy[1] == '1'
local limit = tonumber(policy[2])
local windowStart, windowEnd
if policy[3] then
  local s, e = string.match(policy[3], '^(%d%d%d%d)%-(%d%d%d%d)$')
  windowStart, windowEnd = tonumber(s), tonumber(e)
end

local function insideWindow()
  if not windowStart or not windowEnd or not hhmm then
    return false
  end
  if windowStart < windowEnd then
    return hhmm >= windowStart and hhmm < windowEnd
  elseif windowStart > windowEnd then
    return hhmm >= windowStart or hhmm < windowEnd
  end
  return true
end

local memberUsed = tonumber(redis.call('HGET', periodKey, usedField))
local remaining = tonumber(redis.call('HGET', periodKey, 'remaining'))
local quota = tonumber(redis.call('HGET', periodKey, 'quota'))

local status
if manual then
  status = 'MANUAL'
elseif appId ~= '' and redis.call('HEXISTS', policyKey, 'app:' .. appId) == 1 then
  status = 'APP_BLOCK'
elseif insideWindow() then
  status = 'TIME_BLOCK'
elseif limit and memberUsed + bytes > limit then
  status = 'MONTHLY_LIMIT_EXCEEDED'
elseif remaining < bytes then
  status = 'FAMILY_QUOTA_EXCEEDED'
end

local counted = 0
-- Statuses whose alert marker this decision sets, least severe first; the last one is the status itself.
local alertStatuses = {}
if status then
  alertStatuses = {status}
else
  counted = 1
  remaining = redis.call('HINCRBY', periodKey, 'remaining', -bytes)
  redis.call('HINCRBY', periodKey, usedField, bytes)
  -- remaining/quota < k/10, decided exactly: quota = 10*tenth + rest with both parts
  -- exact as doubles, and remaining*10 < k*quota <=> (remaining - k*tenth)*10 < k*rest,
  -- which stays exact for any quota below 2^53 (a product like quota*3 would not).
  local tenth = math.floor(quota / 10)
  local rest = quota - tenth * 10
  local function below(k)
    return (remaining - k * tenth) * 10 < k * rest
  end
  if below(1) then
    status = 'WARNING_10'
    alertStatuses = {'WARNING_50', 'WARNING_30', 'WARNING_10'}
  elseif below(3) then
    status = 'WARNING_30'
    alertStatuses = {'WARNING_50', 'WARNING_30'}
  elseif below(5) then
    status = 'WARNING_50'
    alertStatuses = {'WARNING_50'}
  else
    status = 'NORMAL'
  end
end

local markers = {}
local notify = 0
for i, alertStatus in ipairs(alertStatuses) do
  local marker = customerId .. ':' .. alertStatus
  if alertStatus == 'APP_BLOCK' then
    marker = marker .. ':' .. appId
  end
  if redis.call('HSETNX', periodKey, 'alert:' .. marker, '1') == 1 then
    markers[#markers + 1] = marker
    if i == #alertStatuses then
      notify = 1
    end
  end
end
redis.call('EXPIREAT', periodKey, periodExpireAt)

local decision = cjson.encode({
  s = status, c = counted, n = notify, b = ARGV[3], u = customerId, h = payloadHash, m = markers, r = runId,
})
redis.call('SET', decisionKey, decision, 'EX', dedupSeconds)
return {'NEW', decision}
