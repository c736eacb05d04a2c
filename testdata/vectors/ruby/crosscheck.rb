# frozen_string_literal: true

# Sends cases over real TCP sockets to a real Puma 5.6.5 server running the
# same Rails middleware and accessors, and compares with gen.rb's in-process
# evaluation (which builds the env with Puma's parser and normalize_env).
# Peers are 127.0.0.1 and ::1; Debian's Puma has no TLS (no MiniSSL), so only
# plain-HTTP cases are sent.  ruby crosscheck.rb --seed 7 --count 500
require "socket"
require "puma"
require "puma/server"
ARGV_SAVED = ARGV.dup
ARGV.clear
load File.join(__dir__, "gen.rb")
seed = ARGV_SAVED.include?("--seed") ? ARGV_SAVED[ARGV_SAVED.index("--seed") + 1].to_i : 7
count = ARGV_SAVED.include?("--count") ? ARGV_SAVED[ARGV_SAVED.index("--count") + 1].to_i : 500

CURRENT = {}
app = lambda do |env|
  c = CURRENT[:case]
  check = (c["options"] || {}).fetch("ip_spoofing_check", true)
  mw = ActionDispatch::RemoteIp.new(->(e) { [200, {}, [JSON.generate(ACCESSORS.to_h { |f, get|
    begin
      [f, get.call(ActionDispatch::Request.new(e))]
    rescue StandardError => ex
      [f, { "raised" => ex.class.name.split("::").last }]
    end
  })]] }, check, custom_proxies(c))
  mw.call(env)
end
server = Puma::Server.new(app, Puma::Events.null, { min_threads: 1, max_threads: 1 })
port = server.add_tcp_listener("127.0.0.1", 0).addr[1]
port6 = server.add_tcp_listener("::1", 0).addr[1]
server.run

def send_case(host, port, c)
  s = TCPSocket.new(host, port)
  s.write("GET / HTTP/1.1\r\n" + c["headers"].map { |n, v| "#{n}: #{v}\r\n" }.join + "Connection: close\r\n\r\n")
  resp = s.read
  s.close
  JSON.parse(resp.split("\r\n\r\n", 2)[1])
end

srand(seed)
n = bad = 0
count.times do
  c = random_case
  next if c["tls"]

  [["127.0.0.1", port], ["::1", port6]].each do |peer, p|
    c2 = c.merge("peer" => peer)
    want = evaluate(c2)
    next if want["error"]

    CURRENT[:case] = c2
    got = send_case(peer, p, c2)
    mine = want.reject { |k, _| k == "ips" || k == "raised" }
    (want["raised"] || {}).each { |f, e| mine[f] = { "raised" => e } }
    n += 1
    next if got == mine

    bad += 1
    warn "mismatch #{JSON.generate(c2)}\n  server #{JSON.generate(got)}\n  gen.rb #{JSON.generate(mine)}" if bad <= 10
  end
end
server.stop(true)
puts "#{n} cases through a real Puma server, #{bad} mismatches"
exit(bad.zero? ? 0 : 1)
