# frozen_string_literal: true

# Rack 3's forwarded_for and scheme on random forwarded headers and random
# forwarded_priority / x_forwarded_proto_priority settings, for the
# rails 8 model (Rack 3 is not packaged in Debian 12). Run with a checkout of
# rack v3.2.7 on the load path:
#   git -C rack archive v3.2.7 lib | tar -x -C /tmp/rack3
#   ruby -I /tmp/rack3/lib rack3.rb --seed 1 --count 5000 > rack3.jsonl
require "json"
require "rack"
require "rack/request"
raise "want rack 3.2.7, have #{Rack.release}" unless Rack.release == "3.2.7"

seed = ARGV.include?("--seed") ? ARGV[ARGV.index("--seed") + 1].to_i : 1
count = ARGV.include?("--count") ? ARGV[ARGV.index("--count") + 1].to_i : 5000
srand(seed)

FOR = ["1.1.1.1", "1.1.1.1:80", "\"[2001:db8::1]:443\"", "[2001:db8::1]", "2001:db8::1", "unknown", "_hidden", "\"1.1.1.1",
       "fe80::1%eth0", "\"[fe80::1%25eth0]\"", "10.0.0.2", "\"10.0.0.2\"", "", "1.1.1.1 x", "[::1", ":80"].freeze
PROTO = ["https", "http", "HTTPS", "wss", "ws", "\"https\"", "", "ftp"].freeze
XFF = ["1.1.1.1", "1.1.1.1:8080", "2001:db8::1", "[2001:db8::1]:443", "[::1]", "fe80::1%eth0", "::ffff:1.2.3.4", "unknown",
       "garbage!", "1.2.3.4/32", "_x", "10.0.0.2", "[::1", "::1"].freeze
SCHEMES = ["https", "http", "HTTPS", "wss", "ws", "https, http", "http, https", "https , http", "", "x"].freeze

def forwarded
  Array.new(rand(1..3)) do
    parts = Array.new(rand(1..2)) do
      case rand(6)
      when 0, 1, 2 then "#{['for', 'For', ' for '].sample}=#{FOR.sample}"
      when 3 then "proto=#{PROTO.sample}"
      when 4 then "host=#{['a.example', '"b.example:8443"'].sample}"
      else ["by=10.0.0.1", "secret=1", "for", ""].sample
      end
    end
    parts.join([";", "; ", " ;"].sample)
  end.join([",", ", ", " , ", ",,"].sample)
end

FORWARDED_PRIORITIES = [%i[forwarded x_forwarded], %i[forwarded x_forwarded], %i[x_forwarded forwarded], %i[x_forwarded], %i[forwarded], []].freeze
PROTO_PRIORITIES = [%i[proto scheme], %i[proto scheme], %i[scheme proto], %i[proto], %i[scheme]].freeze

count.times do
  fp = FORWARDED_PRIORITIES.sample
  pp = PROTO_PRIORITIES.sample
  Rack::Request.forwarded_priority = fp
  Rack::Request.x_forwarded_proto_priority = pp
  env = { "rack.url_scheme" => ["http", "https"].sample }
  env["HTTP_FORWARDED"] = forwarded if rand(2).zero?
  env["HTTP_X_FORWARDED_FOR"] = Array.new(rand(1..3)) { XFF.sample }.join([", ", ",", " ", " , "].sample) if rand(2).zero?
  env["HTTP_X_FORWARDED_PROTO"] = SCHEMES.sample if rand(2).zero?
  env["HTTP_X_FORWARDED_SCHEME"] = SCHEMES.sample if rand(4).zero?
  env["HTTP_X_FORWARDED_SSL"] = ["on", "off"].sample if rand(6).zero?
  r = Rack::Request.new(env)
  puts JSON.generate({ "forwarded_priority" => fp, "x_forwarded_proto_priority" => pp, "env" => env,
                       "forwarded_for" => r.forwarded_for, "scheme" => r.scheme })
end
