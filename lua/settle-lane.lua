--[[
settle-lane: decides one family's events of a batch, one at a time in
delivery order, against the family's period state (docs/behaviour.md,
"Decision rules"). It stops at the first event it cannot decide from what
Redis holds, so no later event of the family is ever decided before it.
Its TypeScript twin, the degraded-mode decision rule, decides the same from
the ledger while Redis is out (functions/core/degraded/settle-lane-twin.ts
and decision-rule.ts); a property test compares the two.

KEYS[1..P]        period states   {f:<familyId>}:period:<yyyyMM>, one per period of the lane
KEYS[P+1..P+N]    settled marks   {f:<familyId>}:settled:<eventId>, one per event, in order

ARGV[1]  P, number of periods
ARGV[2]  N, number of events
ARGV[3]  verify-before (epoch ms): an event whose record is older may have been settled
         longer ago than settled marks live; the ledger must say first
ARGV[4]  margin (epoch ms) for clocks: records up to this much after the period state's
         settled horizon may have been settled before the state was loaded
ARGV[5..9]   global policy: limit (bytes), manual ('1'), window ('HHmm-HHmm'), blocked apps
             (JSON array), zero-rated apps (JSON array); '' = none
ARGV[10]     the global policy's revision those values are at
ARGV[11..10+P] expiry of each period state, epoch seconds
ARGV[11+P..10+2P] per period state, how many of its pending decisions belong to this lane's
         events answered in earlier rounds (those events are not sent again)
then 9 values per event: period index (1..P), eventId, customerId, appId ('' none),
  bytes, local time HHmm, payload hash, record timestamp (epoch ms),
  checked ('1': the ledger was asked and does not hold it)

Period state (HASH): q quota, tu top-ups (the pool is q + tu), r remaining, v ledger version, t commit stamp (epoch ms) of that version,
  g global revision whose changes the family took in this period (absent: none yet),
  i incarnation (set when loaded),
  sd settled horizon (epoch ms),
  u:<customerId> member's usage (present = member), a:<marker> alert notified,
  d:<eventId> pending decision (decided here, not yet confirmed in the ledger), pn their number,
  P:F:<key> family-wide and P:<customerId>:<key> member policy: lim limit, man manual '1',
  win window, app '1' when the level has a blocked-app set, whose apps are a:<appId> under it,
  zr '1' when the level has a zero-rated set, whose apps are z:<appId> under it

Reply: first {version, quota, incarnation, pending count before this call, commit stamp,
global revision ('' none)} of each period state
({} when absent), then one entry
per event, in order, ending early at a stop:
  {'NEW', decision}   decided now (also kept as pending in the period state)
  {'PENDING', decision}  decided before and not yet confirmed; decided the same again
  {'SETTLED'}         settled before (settled mark, same payload)
  {'REJECTED', version}  rejected before from the state at that version (not a member)
  {'CONFLICT'}        eventId seen before with another payload
  {'NOT_MEMBER'}
  {'HYDRATE', periodIndex}  stop: that period state is absent
  {'VERIFY', horizon}       stop: ask the ledger about this event first
  {'GLOBAL', periodIndex, revision}  stop: the period state took another global revision than
                            ARGV[9]: the family takes the changes after it first, or the caller's
                            global values are older than what the family already decided with
  {'RELOAD', periodIndex}   stop, before any event: that period state holds pending decisions of
                            events that are not this lane's (a commit refused them, or the mapping
                            gave up on their batch): it is off the ledger and must be loaded afresh
Decision JSON: {s=status, c=counted 0|1, n=notify 0|1, b='<bytes>', u='<customerId>', h=payloadHash, m=[markers]}
]]
local periods = tonumber(ARGV[1])
local events = tonumber(ARGV[2])
local verifyBefore = tonumber(ARGV[3])
local margin = tonumber(ARGV[4])
local global = { lim = ARGV[5], man = ARGV[6], win = ARGV[7] }
local globalRevision = tonumber(ARGV[10])
local function appSet(json)
  local set = {}
  if json ~= '' then
    for _, app in ipairs(cjson.decode(json)) do
      set[app] = true
    end
  end
  return set
end
local globalApps = appSet(ARGV[8])
local globalZeroRated = appSet(ARGV[9])
local expiryFrom = 11
local ownFrom = 11 + periods
local firstEvent = 11 + 2 * periods
local FIELDS = 9

local function nonBlank(v)
  if v == false or v == nil or v == '' then
    return nil
  end
  return v
end

-- For each key the first level that has a value wins: the member's, then the family's, then the global default.
local function policyOf(periodKey, customerId, appId)
  local m = 'P:' .. customerId .. ':'
  local v = redis.call('HMGET', periodKey, m .. 'lim', m .. 'man', m .. 'win', m .. 'app', m .. 'zr',
    'P:F:lim', 'P:F:man', 'P:F:win', 'P:F:app', 'P:F:zr')
  -- An app set is the whole set of the first level that has one.
  local function inSet(memberHas, familyHas, field, globalSet)
    if appId == '' then
      return false
    elseif memberHas then
      return redis.call('HEXISTS', periodKey, m .. field .. appId) == 1
    elseif familyHas then
      return redis.call('HEXISTS', periodKey, 'P:F:' .. field .. appId) == 1
    end
    return globalSet[appId] == true
  end
  return {
    lim = nonBlank(v[1]) or nonBlank(v[6]) or nonBlank(global.lim),
    man = nonBlank(v[2]) or nonBlank(v[7]) or nonBlank(global.man),
    win = nonBlank(v[3]) or nonBlank(v[8]) or nonBlank(global.win),
    appBlocked = inSet(v[4], v[9], 'a:', globalApps),
    zeroRated = inSet(v[5], v[10], 'z:', globalZeroRated),
  }
end

local function insideWindow(window, hhmm)
  if not window then
    return false
  end
  local s, e = string.match(window, '^(%d%d%d%d)%-(%d%d%d%d)$')
  local startAt, endAt = tonumber(s), tonumber(e)
  if not startAt or not endAt then
    return false
  end
  if startAt < endAt then
    return hhmm >= startAt and hhmm < endAt
  elseif startAt > endAt then
    return hhmm >= startAt or hhmm < endAt
  end
  return true
end

local function decide(periodKey, customerId, appId, bytesText, hhmm, payloadHash)
  local bytes = tonumber(bytesText)
  local usedField = 'u:' .. customerId
  local policy = policyOf(periodKey, customerId, appId)
  local limit = tonumber(policy.lim)
  local memberUsed = tonumber(redis.call('HGET', periodKey, usedField))
  local counters = redis.call('HMGET', periodKey, 'r', 'q', 'tu')
  local remaining = tonumber(counters[1])
  local pool = tonumber(counters[2]) + (tonumber(counters[3]) or 0)

  local status
  if policy.man == '1' then
    status = 'MANUAL'
  elseif policy.appBlocked then
    status = 'APP_BLOCK'
  elseif insideWindow(policy.win, hhmm) then
    status = 'TIME_BLOCK'
  elseif policy.zeroRated then
    status = 'ZERO_RATED'
  elseif limit and memberUsed + bytes > limit then
    status = 'MONTHLY_LIMIT_EXCEEDED'
  elseif remaining < bytes then
    status = 'FAMILY_QUOTA_EXCEEDED'
  end

  local counted = 0
  -- Statuses whose alert marker this decision sets, least severe first; the last one is the status itself.
  local alertStatuses = {}
  if status == 'ZERO_RATED' then
    -- Allowed, charged to nothing, told to nobody.
    alertStatuses = {}
  elseif status then
    alertStatuses = { status }
  else
    counted = 1
    remaining = redis.call('HINCRBY', periodKey, 'r', -bytes)
    redis.call('HINCRBY', periodKey, usedField, bytes)
    -- remaining/pool < k/10, decided exactly: pool = 10*tenth + rest with both parts
    -- exact as doubles, and remaining*10 < k*pool <=> (remaining - k*tenth)*10 < k*rest,
    -- which stays exact for any pool below 2^53 (a product like pool*3 would not).
    local tenth = math.floor(pool / 10)
    local rest = pool - tenth * 10
    local function below(k)
      return (remaining - k * tenth) * 10 < k * rest
    end
    if below(1) then
      status = 'WARNING_10'
      alertStatuses = { 'WARNING_50', 'WARNING_30', 'WARNING_10' }
    elseif below(3) then
      status = 'WARNING_30'
      alertStatuses = { 'WARNING_50', 'WARNING_30' }
    elseif below(5) then
      status = 'WARNING_50'
      alertStatuses = { 'WARNING_50' }
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
    if redis.call('HSETNX', periodKey, 'a:' .. marker, '1') == 1 then
      markers[#markers + 1] = marker
      if i == #alertStatuses then
        notify = 1
      end
    end
  end
  return cjson.encode({
    s = status, c = counted, n = notify, b = bytesText, u = customerId, h = payloadHash, m = markers,
  })
end

local states = {}
for p = 1, periods do
  local state = redis.call('HMGET', KEYS[p], 'v', 'q', 'i', 'pn', 't', 'g')
  if state[1] then
    states[p] = { state[1], state[2], state[3] or '', state[4] or '0', state[5] or '0', state[6] or '' }
  else
    states[p] = {}
  end
end
local replies = { states }
-- Pending decisions are a prefix of the family's undecided events: any this lane does not own were
-- made for events the ledger settled otherwise or never will, and their usage is not the ledger's.
for p = 1, periods do
  local pending = tonumber(states[p][4] or '0')
  local owned = tonumber(ARGV[ownFrom + p - 1])
  if states[p][1] and pending > owned then
    for i = 1, events do
      local at = firstEvent + (i - 1) * FIELDS
      if tonumber(ARGV[at]) == p and redis.call('HEXISTS', KEYS[p], 'd:' .. ARGV[at + 1]) == 1 then
        owned = owned + 1
      end
    end
    if pending > owned then
      replies[#replies + 1] = { 'RELOAD', p }
      return replies
    end
  end
end
for i = 1, events do
  local at = firstEvent + (i - 1) * FIELDS
  local periodIndex = tonumber(ARGV[at])
  local eventId = ARGV[at + 1]
  local customerId = ARGV[at + 2]
  local appId = ARGV[at + 3]
  local bytes = ARGV[at + 4]
  local hhmm = tonumber(ARGV[at + 5])
  local payloadHash = ARGV[at + 6]
  local recordTs = tonumber(ARGV[at + 7])
  local checked = ARGV[at + 8] == '1'
  local periodKey = KEYS[periodIndex]

  local settled = redis.call('GET', KEYS[periods + i])
  local rejectedAt, rejectedHash
  if settled then
    rejectedAt, rejectedHash = string.match(settled, '^R:(%d+):(.*)$')
  end
  if rejectedAt then
    replies[#replies + 1] = rejectedHash == payloadHash and { 'REJECTED', rejectedAt } or { 'CONFLICT' }
  elseif settled then
    replies[#replies + 1] = { settled == payloadHash and 'SETTLED' or 'CONFLICT' }
  elseif redis.call('EXISTS', periodKey) == 0 then
    replies[#replies + 1] = { 'HYDRATE', periodIndex }
    return replies
  else
    local pending = redis.call('HGET', periodKey, 'd:' .. eventId)
    if pending then
      if cjson.decode(pending).h == payloadHash then
        replies[#replies + 1] = { 'PENDING', pending }
      else
        replies[#replies + 1] = { 'CONFLICT' }
      end
    else
      local horizon = tonumber(redis.call('HGET', periodKey, 'sd')) or 0
      if not checked and (recordTs < verifyBefore or recordTs <= horizon + margin) then
        replies[#replies + 1] = { 'VERIFY', tostring(horizon) }
        return replies
      end
      local taken = tonumber(redis.call('HGET', periodKey, 'g'))
      if redis.call('HEXISTS', periodKey, 'u:' .. customerId) == 0 then
        replies[#replies + 1] = { 'NOT_MEMBER' }
      elseif taken and taken ~= globalRevision then
        replies[#replies + 1] = { 'GLOBAL', periodIndex, tostring(taken) }
        return replies
      else
        if not taken then
          -- Nothing was notified in this period under an earlier revision: it takes this one as it is.
          redis.call('HSET', periodKey, 'g', globalRevision)
        end
        local decision = decide(periodKey, customerId, appId, bytes, hhmm, payloadHash)
        redis.call('HSET', periodKey, 'd:' .. eventId, decision)
        redis.call('HINCRBY', periodKey, 'pn', 1)
        redis.call('EXPIREAT', periodKey, tonumber(ARGV[expiryFrom + periodIndex - 1]))
        replies[#replies + 1] = { 'NEW', decision }
      end
    end
  end
end
return replies
