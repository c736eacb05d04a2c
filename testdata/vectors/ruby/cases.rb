# frozen_string_literal: true

# The cases gen.rb and rails_src.rb evaluate, and the Rack env Puma 5.6.5
# builds for one: the header lines as a raw HTTP request through Puma's own
# parser (Puma::HttpParser joins repeated lines with ", "), then
# Puma::Server#normalize_env and the rack.url_scheme default of
# Puma::Request#handle_request. Needs no Rails and no particular Rack.

require "json"
require "ipaddr"
require "puma"
require "puma/server"
require "puma/puma_http11"

# The client Puma hands normalize_env: peerip is the socket's address; an
# unknown peer is Errno::ENOTCONN, which Puma turns into 127.0.0.1.
FakeClient = Struct.new(:peer) do
  def peerip
    raise Errno::ENOTCONN if peer.nil?

    peer
  end
end

PUMA = Puma::Server.new(->(_env) { [200, {}, []] }, Puma::Events.null, { min_threads: 0, max_threads: 1 })

def puma_env(c)
  # Binder's proto_env (Puma 5.6.5 lib/puma/binder.rb), HTTPS for an ssl bind.
  env = { "rack.url_scheme" => nil, "SCRIPT_NAME" => "", "QUERY_STRING" => "",
          "SERVER_PROTOCOL" => "HTTP/1.1", "GATEWAY_INTERFACE" => "CGI/1.2" }
  env["HTTPS"] = "https" if c["tls"]
  raw = +"GET / HTTP/1.1\r\n"
  c["headers"].each { |name, value| raw << "#{name}: #{value}\r\n" }
  raw << "\r\n"
  parser = Puma::HttpParser.new
  parser.execute(env, raw, 0)
  raise "puma did not parse #{raw.inspect}" unless parser.finished?

  PUMA.send(:normalize_env, env, FakeClient.new(c["peer"]))
  env["rack.url_scheme"] ||= PUMA.send(:default_server_port, env) == "443" ? "https" : "http"
  env
end

# A trust_proxy entry in Ruby's own terms: IPAddr.new("..."), /regexp/, or a String.
def ruby_value(v)
  case v
  when /\AIPAddr\.new\("(.*)"\)\z/ then IPAddr.new(Regexp.last_match(1))
  when %r{\A/(.*)/\z} then Regexp.new(Regexp.last_match(1))
  else v
  end
end

def custom_proxies(c)
  return nil unless c.key?("trust_proxy")

  t = c["trust_proxy"]
  t.is_a?(Array) ? t.map { |v| ruby_value(v) } : ruby_value(t)
end

# ---- cases --------------------------------------------------------------------

def hand_picked
  reqs = [
    ["127.0.0.1", false, [["X-Forwarded-For", "1.1.1.1"], ["Host", "a.example"]]],
    ["8.8.8.8", false, [["X-Forwarded-For", "1.1.1.1"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "6.6.6.6, 10.0.0.2"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "1.1.1.1 9.9.9.9"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "1.1.1.1, garbage, 1.2.3.4:80"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "[::1], fe80::1%eth0, 1.2.3.4/32"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "::ffff:10.0.0.1"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "01.2.3.4, 1.2.3, 0x7f.0.0.1"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "6.6.6.6"], ["X-Forwarded-For", "1.1.1.1"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-For", "10.0.0.2, 10.0.0.3"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["Client-Ip", "6.6.6.6"], ["X-Forwarded-For", "1.1.1.1"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["Client-Ip", "1.1.1.1"], ["X-Forwarded-For", "1.1.1.1, 10.0.0.2"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["Client-Ip", "6.6.6.6"], ["Host", "a.example"]]],
    ["10.0.0.5", false, [["Client-Ip", "10.0.0.7"], ["X-Forwarded-For", "10.0.0.7"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["Forwarded", "for=6.6.6.6"], ["Host", "a.example"]]],
    ["127.0.0.1", true, [["X-Forwarded-Proto", "http"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Proto", "https , http"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Proto", "https, http"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Proto", "HTTPS"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Proto", "http"], ["X-Forwarded-Scheme", "https"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Ssl", "on"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Host", "evil.example, a.example:8443"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Host", "evil.example,"], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Host", ","], ["Host", "a.example"]]],
    ["127.0.0.1", false, [["X-Forwarded-Host", ""], ["Host", "a.example:80"]]],
    ["127.0.0.1", true, [["Host", "a.example:443"]]],
    ["127.0.0.1", false, [["Host", "[::1]:3000"]]],
    ["127.0.0.1", false, []],
    ["127.0.0.1", true, []],
    ["::1", false, [["X-Forwarded-For", "2001:db8::1"], ["Host", "a.example"]]],
    ["::ffff:127.0.0.1", false, [["X-Forwarded-For", "1.1.1.1"], ["Host", "a.example"]]],
    [nil, false, [["X-Forwarded-For", "1.1.1.1"], ["Host", "a.example"]]],
  ]
  trusts = [
    :unset, [], ['IPAddr.new("127.0.0.1")'], ['IPAddr.new("10.0.0.0/8")', 'IPAddr.new("::1")'], ["10.0.0.0/8"], ["127.0.0.1"],
    'IPAddr.new("10.0.0.0/8")', "127.0.0.1", "", ['/\A10\./'], ['IPAddr.new("0.0.0.0/0")'], 'IPAddr.new("bad")', ['IPAddr.new("10.0.0.0/33")'],
  ]
  cases = []
  trusts.each do |t|
    reqs.each do |peer, tls, headers|
      c = { "framework" => "rails", "version" => "6.1" }
      c["trust_proxy"] = t unless t == :unset
      cases << c.merge("peer" => peer, "tls" => tls, "headers" => headers)
    end
  end
  reqs.each do |peer, tls, headers|
    cases << { "framework" => "rails", "version" => "6.1", "options" => { "ip_spoofing_check" => false },
               "peer" => peer, "tls" => tls, "headers" => headers }
  end
  cases
end

PEERS = ["127.0.0.1", "127.0.0.2", "10.0.0.2", "192.168.1.5", "172.16.0.1", "172.32.0.1", "8.8.8.8", "1.1.1.1",
         "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.2", "2001:db8::1", "fe80::1", "fc00::1", "fd00::1", "169.254.1.1"].freeze
ENTRIES = ["1.1.1.1", "6.6.6.6", "8.8.8.8", "10.0.0.2", "10.0.0.9", "127.0.0.1", "192.168.1.5", "172.16.0.1", "172.32.0.1",
           "::1", "2001:db8::1", "2001:DB8::2", "fe80::1", "fc00::1", "fd12::1", "::ffff:1.2.3.4", "::ffff:10.0.0.2",
           "1.1.1.1:8080", "[2001:db8::1]:443", "[::1]", "[::1", "unknown", "garbage", "01.2.3.4", "1.2.3", "256.1.1.1",
           "fe80::1%eth0", "1.2.3.4/32", "1.2.3.4/24", "10.0.0.0/255.255.255.255", "0.0.0.0", "::", "1::2::3", "_hidden",
           "1:2:3:4:5:6:7:8", "::1.2.3.4", "1.2.3.4%eth0"].freeze
TRUST_ENTRIES = ['IPAddr.new("127.0.0.1")', 'IPAddr.new("127.0.0.0/8")', 'IPAddr.new("10.0.0.0/8")', 'IPAddr.new("192.168.0.0/16")',
                 'IPAddr.new("172.16.0.0/12")', 'IPAddr.new("::1")', 'IPAddr.new("fc00::/7")', 'IPAddr.new("2001:db8::/32")',
                 'IPAddr.new("0.0.0.0/0")', 'IPAddr.new("::/0")', 'IPAddr.new("1.1.1.1")', 'IPAddr.new("10.0.0.1/8")',
                 'IPAddr.new("10.0.0.0/255.0.0.0")', 'IPAddr.new("::ffff:10.0.0.0/104")', 'IPAddr.new("[::1]")',
                 'IPAddr.new("fe80::/10")', "127.0.0.1", "10.0.0.0/8", "1.1.1.1", "::1", '/\A10\./', '/^192\.168/', '/1/'].freeze
PROTOS = ["https", "http", "HTTPS", "https, http", "http, https", "https , http", "https,http", "", "wss", "httpsx", "on"].freeze
HOSTS = ["a.example", "evil.example", "a.example:8080", "A.Example", "evil.example:443", "a.example:80", "a.example, evil.example",
         "evil.example:8443, a.example", "a.example,evil.example", "a.example,  evil.example", "[::1]:8080", "[::1]",
         "127.0.0.1:3000", "bad host", "x.example.", "a.example:abc", "a.example:", "", ",", "a.example,", "b.example:0443",
         "a.example:8080:90"].freeze

def pick(a) = a[rand(a.size)]

def random_list(pool, max)
  Array.new(rand(1..max)) { pick(pool) }.join(pick([", ", ",", " , ", " ", ",,"]))
end

def random_case
  c = { "framework" => "rails", "version" => "6.1" }
  case rand(6)
  when 0 then nil
  when 1 then c["trust_proxy"] = pick(TRUST_ENTRIES)
  else c["trust_proxy"] = Array.new(rand(0..3)) { pick(TRUST_ENTRIES) }
  end
  c["options"] = { "ip_spoofing_check" => false } if rand(5).zero?
  c["peer"] = rand(40).zero? ? nil : pick(PEERS)
  c["tls"] = rand(3).zero?
  gens = {
    "X-Forwarded-For" => [2, -> { random_list(ENTRIES, 4) }],
    "Client-Ip" => [6, -> { random_list(ENTRIES, 2) }],
    "X-Forwarded-Proto" => [3, -> { pick(PROTOS) }],
    "X-Forwarded-Scheme" => [8, -> { pick(PROTOS) }],
    "X-Forwarded-Ssl" => [8, -> { pick(["on", "off", "ON", ""]) }],
    "X-Forwarded-Host" => [3, -> { pick(HOSTS) }],
    "Forwarded" => [8, -> { pick(["for=6.6.6.6", "for=1.1.1.1;proto=https;host=evil.example"]) }],
  }
  headers = []
  gens.each do |name, (weight, g)|
    next unless rand(weight).zero? || rand(2).zero? && weight <= 3

    headers << [name, g.call]
    headers << [name, g.call] if rand(8).zero?
  end
  headers << ["Host", pick(HOSTS.reject(&:empty?))] unless rand(12).zero?
  c["headers"] = headers.shuffle(random: Random::DEFAULT)
  c
end

