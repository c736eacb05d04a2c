# frozen_string_literal: true

# Truth vectors for trustcheck's rails evaluator, from Debian's Rails 6.1
# (ruby-actionpack 6.1.7), Rack 2.2 (ruby-rack 2.2.22) and Puma 5.6.5.
#
#   ruby gen.rb --seed N --count M    hand-picked cases, then random ones up to M
#   ruby gen.rb --cases FILE          evaluates one case (or {"case":...} line) per line
#
# Each case becomes the Rack env Puma builds: the header lines as a raw HTTP
# request through Puma's own parser (Puma::HttpParser joins repeated lines
# with ", "), then Puma::Server#normalize_env and the rack.url_scheme default
# of Puma::Request#handle_request. The env goes through the real
# ActionDispatch::RemoteIp middleware, configured as Rails' default middleware
# stack does (ip_spoofing_check, trusted_proxies), and each accessor runs on a
# fresh ActionDispatch::Request. Output: {"case": CASE, "want": RESULT}.

require "optparse"
require "action_dispatch"
require_relative "cases"

ACCESSORS = {
  "ip" => ->(r) { r.remote_ip },
  "protocol" => ->(r) { r.scheme },
  "secure" => ->(r) { r.ssl? },
  "host" => ->(r) { r.host_with_port },
  "hostname" => ->(r) { r.host },
}.freeze

def evaluate(c)
  c = { "peer" => nil, "tls" => false, "headers" => [], "options" => {} }.merge(c)
  begin
    check = c["options"].fetch("ip_spoofing_check", true)
    captured = nil
    mw = ActionDispatch::RemoteIp.new(->(env) { captured = env; [200, {}, []] }, check, custom_proxies(c))
  rescue StandardError => e
    return { "error" => e.message }
  end
  out = { "ip" => nil, "ips" => nil, "protocol" => nil, "secure" => nil, "host" => nil, "hostname" => nil }
  raised = {}
  ACCESSORS.each do |field, get|
    env = puma_env(c)
    mw.call(env)
    begin
      out[field] = get.call(ActionDispatch::Request.new(captured))
    rescue StandardError => e
      raised[field] = e.class.name.split("::").last
    end
  end
  out["raised"] = raised unless raised.empty?
  out
end

def emit(c)
  puts JSON.generate({ "case" => c, "want" => evaluate(c) })
end

if __FILE__ == $PROGRAM_NAME
  opts = { seed: 1, count: 4000 }
  OptionParser.new do |o|
    o.on("--seed N", Integer) { |v| opts[:seed] = v }
    o.on("--count N", Integer) { |v| opts[:count] = v }
    o.on("--cases FILE") { |v| opts[:cases] = v }
  end.parse!

  if opts[:cases]
    File.foreach(opts[:cases]) do |line|
      next if line.strip.empty?

      v = JSON.parse(line)
      emit(v["case"] || v)
    end
    exit
  end
  srand(opts[:seed])
  n = 0
  hand_picked.each do |c|
    emit(c)
    n += 1
  end
  while n < opts[:count]
    emit(random_case)
    n += 1
  end
end
