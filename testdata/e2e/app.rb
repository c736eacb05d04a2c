# frozen_string_literal: true

# The end-to-end suite's Rails app server (e2e/apps_ruby.go): a real Puma
# 5.6.5 server (Debian's puma) running the Rack app Rails' default middleware
# stack makes of the request for these accessors — ActionDispatch::RemoteIp
# configured with trustcheck.yaml's trusted_proxies and ip_spoofing_check —
# answering every request with what ActionDispatch::Request resolves:
# {"ip", "ips": null, "protocol", "secure", "host", "hostname"} and, when an
# accessor raises, the field null and "raised": {field: ShortClassName}.
#
#   ruby app.rb APP_JSON LISTEN[,LISTEN...]
#
# APP_JSON is the app of `trustcheck paths --format json` (trust_proxy absent
# when the YAML sets none). LISTEN is host:port, [v6]:port or *:port / :port
# (every IPv4 address, so that peers are reported as plain IPv4). It prints
# "ready" on stdout once listening; a trust setting Rails rejects at boot is
# printed on stderr with exit status 3. The middleware and accessors are
# testdata/vectors/ruby/gen.rb's, the same that generate the truth vectors.
require "json"
require "puma"
require "puma/server"
require_relative "../vectors/ruby/gen"

app_doc = JSON.parse(ARGV.fetch(0))
listens = ARGV.fetch(1).split(",")

begin
  check = (app_doc["options"] || {}).fetch("ip_spoofing_check", true)
  remote_ip = ActionDispatch::RemoteIp.new(->(env) { [200, {}, [env]] }, check, custom_proxies(app_doc))
rescue StandardError => e
  warn e.message
  exit 3
end

rack_app = lambda do |env|
  out = { "ip" => nil, "ips" => nil, "protocol" => nil, "secure" => nil, "host" => nil, "hostname" => nil }
  raised = {}
  ACCESSORS.each do |field, get|
    # Each accessor on its own copy of the env, as gen.rb evaluates them.
    seen = remote_ip.call(env.dup)[2][0]
    begin
      out[field] = get.call(ActionDispatch::Request.new(seen))
    rescue StandardError => e
      raised[field] = e.class.name.split("::").last
    end
  end
  out["raised"] = raised unless raised.empty?
  [200, { "Content-Type" => "application/json" }, [JSON.generate(out)]]
end

server = Puma::Server.new(rack_app, Puma::Events.null, { min_threads: 1, max_threads: 4 })
listens.each do |l|
  host, _, port = l.rpartition(":")
  host = host.delete_prefix("[").delete_suffix("]")
  host = "0.0.0.0" if host.empty? || host == "*"
  server.add_tcp_listener(host, port.to_i)
end
server.run
$stdout.puts "ready"
$stdout.flush
Signal.trap("TERM") { exit 0 }
sleep
