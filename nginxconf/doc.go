// Package nginxconf loads nginx configuration with nginx-go-crossplane and
// models what matters for trusting forwarded headers: the http -> server ->
// location tree, listen and server_name, upstreams and proxy targets, the
// effective proxy_set_header table with nginx's inheritance rule, realip,
// map/geo/set, access rules and limit zones. Every place that passes
// requests to an app becomes a Proxy whose trustmodel.Hop replays what nginx
// sends upstream.
//
// Loading (Load):
//   - files, directories (every *.conf below, sorted; hidden files and
//     directories skipped, as nginx's include globs skip them), "-" for
//     LoadOptions.Stdin, and nginx -T dumps (split on "# configuration file
//     PATH:" markers; includes resolve against the dumped files only);
//   - a file another loaded file includes is not loaded a second time on its
//     own (a directory argument lists nginx.conf and its conf.d files);
//   - includes resolve relative to LoadOptions.Prefix, else the main file's
//     directory (for a directory argument, that directory); a glob matching
//     nothing is fine, a missing plain file is an error ("file:line: include
//     "x" matches no file") or, with AllowMissingIncludes, a warning; cycles
//     are errors naming the chain; an include of fastcgi_params,
//     fastcgi.conf, uwsgi_params, scgi_params or Debian's
//     snippets/fastcgi-php.conf that finds no file reads nginx's stock copy
//     (stock.go), its directives placed at the include's line, with a
//     warning;
//   - crossplane runs without context or argument checks, so snippets and
//     third-party modules load; Lua blocks use a Lua-aware lexer. Then
//     structure.go refuses what nginx's parser refuses, in nginx's words at
//     the line of the directive's ";" or "{": contexts, blocks and argument
//     counts from crossplane's directive tables (nginx's own NGX_CONF_*
//     masks), on/off values, duplicate flags and pass directives, listen
//     parameters, duplicate and misplaced locations, if conditions,
//     allow/deny addresses. A file with a main-only directive (http,
//     events, ...) is checked as a main configuration, any other as http,
//     server or location content; a directive no table knows is a warning
//     (a third-party module's, or a typo: "did you mean"). A file
//     without http{} is a snippet: server blocks join one implicit http
//     context shared by all such files; bare locations or server directives
//     get an implicit server; a bare proxy_pass gets an implicit server and
//     location "/" (Server.Implicit, Location.Implicit);
//   - every directive keeps its file and line; comments are kept per file
//     (Config.Comments, Config.CommentsAt) for suppressions;
//   - errors are *LoadError, one line "file:line: reason"; Load never panics;
//   - with LoadOptions.DeferProxies the servers' locations and proxies are
//     left to the caller, who builds them a few servers at a time
//     (Config.BuildProxies; the set variables are noted first), drops those
//     servers' locations, directives and proxies (Config.ReleaseServers) and
//     ends with Config.ProxiesBuilt, which returns the error Load would
//     have; lint does, so that a fleet's are never all held at once. The
//     server blocks are then packed as each file is parsed (a large file
//     is parsed a few thousand tokens at a time) and decoded for each stage
//     that reads them: no stage holds every server's directives.
//
// Decisions worth knowing:
//   - fastcgi_pass, uwsgi_pass and scgi_pass hops carry a trustmodel.Gateway:
//     the app's peer is the REMOTE_ADDR param, its TLS the HTTPS param
//     (uwsgi: UWSGI_SCHEME first), and the HTTP_* params and client lines
//     are its headers, written back as the headers they stand for
//     (HTTP_X_FORWARDED_FOR as X-Forwarded-For). The *_param lists inherit
//     as proxy_set_header does (Proxy.Params, Proxy.Shadowed).
//   - Proxy.Location is the location, if block or limit_except block whose
//     pass directive it is (if blocks are Locations with Modifier "if"; an
//     if block without its own proxy_pass uses its location's Proxy). It is
//     nil only for passenger_enabled at server or http level.
//   - Location.Proxy is also set, with Location.Redirect, when the location
//     reaches an app only through try_files or rewrite ... last;
//     Server.ProxyFor follows a concrete URI exactly.
//   - Directives nginx refuses in a context (proxy_set_header inside if,
//     proxy_pass in a server-level if) are warned about and ignored; things
//     nginx refuses outright (a bad proxy_pass URL, wrong argument counts of
//     modelled directives, bad listen ports) are errors.
//   - Version-dependent behaviour follows LoadOptions.NginxVersion (see
//     Version's methods): header-variable joining (1.23.0), the default
//     Connection header (1.29.7), Proxy-Connection (1.31.0), "[v6]" realip
//     tokens (1.27.3), Host falling back to $proxy_host (1.31.4), "ssl on"
//     (removed 1.25.1).
//   - Host names nginx resolves at start-up: "localhost" is 127.0.0.1 and
//     ::1 (IPv4 first, as ngx_inet_resolve_host orders them) for proxy_pass,
//     upstream servers and set_real_ip_from; other names stay unresolved
//     (Target.Unresolved) and match nothing in set_real_ip_from (a warning).
//   - Values the model cannot compute ($request_uri, $ssl_protocol, ...)
//     evaluate to "" (no header) and say in Sources whether the client
//     chooses them; see VarFacts.
//
// Not modelled: the PROXY protocol address (real_ip_header proxy_protocol
// changes nothing), headers-more input changes (a warning), Lua/njs code,
// request rejection (an invalid Host answers 400; $host then evaluates to
// ""), header names nginx drops (underscores without underscores_in_headers,
// invalid characters) which trustmodel.Hop passes through, and conditions of
// if blocks that need the method, URI or files (they evaluate false).
package nginxconf
