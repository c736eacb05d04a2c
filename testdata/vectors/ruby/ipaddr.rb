# frozen_string_literal: true

# IPAddr.new on hand-picked and random texts (Ruby's own ipaddr), for
# trustmodel/ruby's parser: ruby ipaddr.rb --seed 1 --count 20000 > ipaddr.jsonl
require "ipaddr"
require "json"

seed = (ARGV[ARGV.index("--seed") + 1] if ARGV.include?("--seed")).to_i
count = (ARGV[ARGV.index("--count") + 1] if ARGV.include?("--count")).to_i
srand(seed)

HAND = ["1.2.3.4", "01.2.3.4", "1.2.3.04", "0.0.0.0", "1.2.3.256", "1.2.3.0300", "1.2.3", "1.2.3.4/32", "1.2.3.4/24",
        "1.2.3.4/33", "1.2.3.4/08", "1.2.3.4/0", "1.2.3.4/255.255.255.0", "1.2.3.4/255.0.255.0", "1.2.3.4/", "/8", "",
        "::", "::1", "[::1]", "[::1]/128", "fe80::1%eth0", "[fe80::1%eth0]", "[fe80::1]%eth0", "fe80::1%", "fe80::1%e-0",
        "::ffff:1.2.3.4", "::ffff:1.2.3.4/96", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7::8",
        "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::1.2.3.4", "1::2::3",
        ":::", "1:::2", "12345::", "abcd::ABCD", "2001:db8::/32", "::1/129", "::1/ffff:ffff::", "1.2.3.4%eth0", "[1.2.3.4]",
        "1.2.3.4/255.255.255.255", "10.0.0.0/255.255.255.255", "1.2.3.4/1.2.3.4", "::/0", "0x7f.0.0.1", "1.2.3.4 ", " 1.2.3.4",
        "1.2.3.4:80", "[2001:db8::1]:443", "unknown", "::ffff:01.2.3.4", "::ffff:1.2.3.256", "1:2:3:4:5:6:7:8:9"].freeze
ALPHA = "0123456789abcdefABCDEF:::...//[]%xz_ ".chars.freeze

def one(s)
  a = IPAddr.new(s)
  r = a.to_range
  { "s" => s, "ok" => true, "v6" => a.ipv6?, "addr" => a.to_i.to_s, "single" => r.begin == r.end }
rescue ArgumentError => e
  { "s" => s, "ok" => false, "error" => e.message }
end

HAND.each { |s| puts JSON.generate(one(s)) }
(count - HAND.size).times do
  s = case rand(3)
      when 0 then Array.new(rand(1..12)) { ALPHA[rand(ALPHA.size)] }.join
      when 1 then Array.new(4) { n = rand(300).to_s; rand(4).zero? ? n.rjust(rand(1..4), "0") : n }.join(".") + (rand(3).zero? ? "/#{rand(40)}" : "")
      else Array.new(rand(2..9)) { rand(3).zero? ? "" : rand(0x10000).to_s(16) }.join(":") + (rand(4).zero? ? "/#{rand(140)}" : "")
      end
  puts JSON.generate(one(s))
end
