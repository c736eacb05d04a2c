# frozen_string_literal: true

# Rails 7.2/8.0/8.1 vectors from their own source, which Debian 12 cannot
# run as a whole (Rails 8 needs Ruby 3.2): RemoteIp (remote_ip.rb of the
# release, loaded on its own) on Rack 3.2.7's Request, with the env Puma
# builds (cases.rb); scheme/ssl? are Rack 3.2.7's; host and host_with_port
# are Rails' url.rb (raw_host_with_port, host, port, identical from 6.1 to
# 8.1), transcribed below.
#   git -C rack archive v3.2.7 lib | tar -x -C /tmp/rack3
#   git -C rails show v8.1.3.1:actionpack/lib/action_dispatch/middleware/remote_ip.rb > /tmp/remote_ip.rb
#   ruby -I /tmp/rack3/lib rails_src.rb --remote-ip /tmp/remote_ip.rb --version 8 --seed 1 --count 3000
require "optparse"
require "rack"
require "rack/request"
require "active_support/core_ext/object/blank"
require_relative "cases"
raise "want rack 3.2.7, have #{Rack.release}" unless Rack.release == "3.2.7"

opts = { seed: 1, count: 3000 }
OptionParser.new do |o|
  o.on("--seed N", Integer) { |v| opts[:seed] = v }
  o.on("--count N", Integer) { |v| opts[:count] = v }
  o.on("--version V") { |v| opts[:version] = v }
  o.on("--remote-ip FILE") { |v| opts[:remote_ip] = v }
end.parse!
load opts.fetch(:remote_ip)

# What GetIp asks of ActionDispatch::Request, on Rack 3's request.
class ShimRequest < Rack::Request
  def remote_addr = get_header("REMOTE_ADDR")
  def client_ip = get_header("HTTP_CLIENT_IP")
  def x_forwarded_for = get_header("HTTP_X_FORWARDED_FOR")
end

# actionpack/lib/action_dispatch/http/url.rb raw_host_with_port, host, port
# and port_string (the same text in v6.1.7 through v8.1.3.1).
def raw_host_with_port(env)
  if (forwarded = env["HTTP_X_FORWARDED_HOST"].presence)
    forwarded.split(/,\s?/).last
  else
    env["HTTP_HOST"] || "#{env['SERVER_NAME']}:#{env['SERVER_PORT']}"
  end
end

def host_fields(env, ssl)
  raw = raw_host_with_port(env)
  host = raw.sub(/:\d+$/, "")
  port = raw =~ /:(\d+)$/ ? Regexp.last_match(1).to_i : (ssl ? 443 : 80)
  [host + (port == (ssl ? 443 : 80) ? "" : ":#{port}"), host]
end

def evaluate_src(c)
  c = { "peer" => nil, "tls" => false, "headers" => [], "options" => {} }.merge(c)
  o = c["options"]
  Rack::Request.forwarded_priority = (o["forwarded_priority"] || %w[forwarded x_forwarded]).map(&:to_sym)
  Rack::Request.x_forwarded_proto_priority = (o["x_forwarded_proto_priority"] || %w[proto scheme]).map(&:to_sym)
  begin
    mw = ActionDispatch::RemoteIp.new(nil, o.fetch("ip_spoofing_check", true), custom_proxies(c))
  rescue StandardError => e
    return { "error" => e.message }
  end
  env = puma_env(c)
  out = { "ip" => nil, "ips" => nil, "protocol" => nil, "secure" => nil, "host" => nil, "hostname" => nil }
  raised = {}
  begin
    out["ip"] = ActionDispatch::RemoteIp::GetIp.new(ShimRequest.new(env), mw.check_ip, mw.proxies).to_s
  rescue StandardError => e
    raised["ip"] = e.class.name.split("::").last
  end
  r = Rack::Request.new(env)
  out["protocol"] = r.scheme
  out["secure"] = r.ssl?
  begin
    out["host"], out["hostname"] = host_fields(env, r.ssl?)
  rescue StandardError => e
    raised["host"] = raised["hostname"] = e.class.name.split("::").last
  end
  out["raised"] = raised unless raised.empty?
  out
end

srand(opts[:seed])
emit = lambda do |c|
  c = c.merge("version" => opts.fetch(:version))
  if rand(6).zero?
    c["options"] = (c["options"] || {}).merge(
      "forwarded_priority" => [%w[x_forwarded], %w[x_forwarded forwarded], %w[forwarded]].sample,
      "x_forwarded_proto_priority" => [%w[scheme proto], %w[proto]].sample,
    )
  end
  puts JSON.generate({ "case" => c, "want" => evaluate_src(c) })
end
n = 0
hand_picked.each do |c|
  emit.call(c)
  n += 1
end
while n < opts[:count]
  c = random_case
  c["headers"] << ["Forwarded", ["for=6.6.6.6", "for=\"[2001:db8::1]:80\";proto=https", "proto=http", "for=10.0.0.2, for=1.1.1.1", "secret=x;for=6.6.6.6"].sample] if rand(4).zero?
  emit.call(c)
  n += 1
end
