-- wrk script for the server's turn benchmark (./build.sh load): turns of the shop agent on the public route,
-- spread over 50 users (25 per wrk thread, one thread per core), so up to 50 turns run at once. Each user goes
-- round a conversation of four turns: launch, a typed question (an intent, matched by the NLU), a page event
-- (checkout) and another question; the launch starts it again, so a session stays the size of one conversation.
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local n = 0
local actions = {
  '{"type":"launch"}',
  '{"type":"text","payload":"where is my order"}',
  '{"type":"event","payload":{"event":{"name":"checkout","data":{"total":120,"items":2}}}}',
  '{"type":"text","payload":"when are you open"}',
}

function request()
  n = n + 1
  local user = "load-" .. tid .. "-" .. (n % 25)
  local body = '{"action":' .. actions[(math.floor(n / 25) % #actions) + 1] .. ',"config":{"tts":false}}'
  return wrk.format("POST", "/public/shop/state/user/" .. user .. "/interact",
    { ["Content-Type"] = "application/json" }, body)
end

local errors = 0
function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
  end
end
