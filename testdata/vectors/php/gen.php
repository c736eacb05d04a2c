<?php
// Truth vectors for trustcheck's symfony and laravel evaluators, from the real
// Symfony HttpFoundation Request (Debian's php-symfony-http-foundation 5.4).
//
//   php gen.php --seed N --count M     hand-picked cases, then random ones up to M
//   php gen.php --cases FILE           evaluates one case (or {"case":...} line) per line
//
// Each case becomes the $_SERVER a PHP SAPI would build (see README.md), then
// each accessor runs on a fresh Request after the app's trust configuration
// ran: Request::setTrustedProxies as HttpKernel's Kernel::boot calls it for
// symfony, and Laravel's TrustProxies middleware (transcribed below) for
// laravel. Output: {"case": CASE, "want": RESULT} per line.

declare(strict_types=0);

$autoload = getenv('SYMFONY_HTTP_FOUNDATION_AUTOLOAD') ?: '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php';
require $autoload;
// TRUSTCHECK_SYMFONY=7 labels the cases for a Symfony 7.2 source tree given
// by SYMFONY_HTTP_FOUNDATION_AUTOLOAD (see README.md): symfony "7" and
// laravel 11-13, whose TrustProxies logic is transcribed below.
define('SYMFONY_LABEL', getenv('TRUSTCHECK_SYMFONY') ?: '5.4');

use Symfony\Component\HttpFoundation\Request;

error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED & ~E_WARNING & ~E_NOTICE);

const HEADER_NAMES = [
    'forwarded' => Request::HEADER_FORWARDED,
    'x-forwarded-for' => Request::HEADER_X_FORWARDED_FOR,
    'x-forwarded-host' => Request::HEADER_X_FORWARDED_HOST,
    'x-forwarded-proto' => Request::HEADER_X_FORWARDED_PROTO,
    'x-forwarded-port' => Request::HEADER_X_FORWARDED_PORT,
    'x-forwarded-prefix' => Request::HEADER_X_FORWARDED_PREFIX,
];

// The $_SERVER a SAPI builds for the case. php-fpm behind nginx's fastcgi
// (the default server) gets one FastCGI param per header line and keeps the
// last; php -S ("php-cli-server") joins repeated lines with ", ".
function server_for(array $c): array
{
    $s = [
        'SERVER_NAME' => 'localhost', 'SERVER_ADDR' => '127.0.0.1',
        'SERVER_PORT' => $c['tls'] ? '443' : '80',
        'REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/', 'SCRIPT_NAME' => '/index.php',
        'SCRIPT_FILENAME' => '/app/public/index.php', 'PHP_SELF' => '/index.php',
        'SERVER_PROTOCOL' => 'HTTP/1.1',
    ];
    if ($c['peer'] !== null) {
        $s['REMOTE_ADDR'] = $c['peer'];
    }
    if ($c['tls']) {
        $s['HTTPS'] = 'on';
    }
    $join = ($c['server']['name'] ?? 'php-fpm') === 'php-cli-server';
    foreach ($c['headers'] as [$name, $value]) {
        $key = 'HTTP_'.strtoupper(str_replace('-', '_', $name));
        $value = trim($value, " \t");
        if ($join && isset($s[$key])) {
            $s[$key] .= ', '.$value;
        } else {
            $s[$key] = $value;
        }
    }
    return $s;
}

function header_set($v, int $default): int
{
    if ($v === null) {
        return $default;
    }
    if (is_int($v)) {
        return $v;
    }
    $set = 0;
    foreach ((array) $v as $name) {
        $set |= HEADER_NAMES[$name] ?? constant(Request::class.'::'.$name);
    }
    return $set;
}

// Laravel's Illuminate\Http\Middleware\TrustProxies::handle (laravel/framework
// v10.50.3 and v11.56.0 src/Illuminate/Http/Middleware/TrustProxies.php:
// handle, setTrustedProxyIpAddresses, setTrustedProxyIpAddressesToSpecificIps,
// setTrustedProxyIpAddressesToTheCallingIp, getTrustedHeaderNames). $proxies is
// the app's $proxies (10) or trustProxies(at:) (11); config('trustedproxy.proxies')
// is null.
function laravel_trust_proxies(Request $request, array $c): void
{
    $all = Request::HEADER_X_FORWARDED_FOR | Request::HEADER_X_FORWARDED_HOST | Request::HEADER_X_FORWARDED_PORT | Request::HEADER_X_FORWARDED_PROTO | Request::HEADER_X_FORWARDED_PREFIX | Request::HEADER_X_FORWARDED_AWS_ELB;
    // 10: the app's $headers property (an int or a constant's name); 11+:
    // headers() = static::$alwaysTrustHeaders ?: $this->headers, set by
    // trustProxies(headers: int).
    $headers = $c['options']['trusted_headers'] ?? null;
    $headers = $c['version'] === '10' ? ($headers ?? $all) : ($headers ?: $all);
    if (!is_int($headers)) {
        $headers = match ($headers) {
            'HEADER_X_FORWARDED_AWS_ELB' => Request::HEADER_X_FORWARDED_AWS_ELB,
            'HEADER_FORWARDED' => Request::HEADER_FORWARDED,
            'HEADER_X_FORWARDED_FOR' => Request::HEADER_X_FORWARDED_FOR,
            'HEADER_X_FORWARDED_HOST' => Request::HEADER_X_FORWARDED_HOST,
            'HEADER_X_FORWARDED_PORT' => Request::HEADER_X_FORWARDED_PORT,
            'HEADER_X_FORWARDED_PROTO' => Request::HEADER_X_FORWARDED_PROTO,
            'HEADER_X_FORWARDED_PREFIX' => Request::HEADER_X_FORWARDED_PREFIX,
            default => $all,
        };
    }
    Request::setTrustedProxies([], $headers);
    $trustedIps = array_key_exists('trust_proxy', $c) ? $c['trust_proxy'] : null;
    $trustedIps = $trustedIps ?: null; // $this->proxies() ?: config('trustedproxy.proxies')
    if ($c['version'] === '12' || $c['version'] === '13') {
        // v12.67.0 / v13.26.1 TrustProxies.php setTrustedProxyIpAddresses (laravel_cloud() false).
        $forge = str_ends_with($request->getHost(), '.on-forge.com') || str_ends_with($request->getHost(), '.on-vapor.com');
        if (is_null($trustedIps) && $forge) {
            $trustedIps = '*';
        }
        if ($forge) {
            $request->headers->remove('X-Forwarded-Host');
        }
    }
    if ($trustedIps === '*' || $trustedIps === '**') {
        // 13.20+ setTrustedProxyIpAddressesToTheCallingIp trusts everything.
        Request::setTrustedProxies($c['version'] === '13' ? ['0.0.0.0/0', '::/0'] : [$request->server->get('REMOTE_ADDR')], $headers);
        return;
    }
    $trustedIps = is_string($trustedIps) ? array_map('trim', explode(',', $trustedIps)) : $trustedIps;
    if (is_array($trustedIps)) {
        if ($c['version'] !== '10') {
            // 11+: REMOTE_ADDR entries become the request's REMOTE_ADDR here.
            $trustedIps = array_reduce($trustedIps, function ($ips, $ip) use ($request) {
                $ips[] = $ip === 'REMOTE_ADDR' ? $request->server->get('REMOTE_ADDR') : $ip;
                return $ips;
            }, []);
        }
        Request::setTrustedProxies($trustedIps, $headers);
    }
}

function configure(Request $request, array $c): void
{
    if ($c['framework'] === 'laravel') {
        laravel_trust_proxies($request, $c);
        return;
    }
    // HttpKernel Kernel::boot: a string is split on "," and trimmed; FrameworkBundle's
    // trusted_headers default is x-forwarded-for, x-forwarded-port, x-forwarded-proto.
    $set = header_set($c['options']['trusted_headers'] ?? null, Request::HEADER_X_FORWARDED_FOR | Request::HEADER_X_FORWARDED_PORT | Request::HEADER_X_FORWARDED_PROTO);
    $proxies = $c['trust_proxy'] ?? null;
    if (!$proxies) {
        Request::setTrustedProxies([], $set);
        return;
    }
    Request::setTrustedProxies(is_array($proxies) ? $proxies : array_map('trim', explode(',', $proxies)), $set);
}

// evaluate computes the case's accessors on $server, by default the
// $_SERVER server_for builds (crosscheck.php passes the real one).
function evaluate(array $c, ?array $server = null): array
{
    $c += ['peer' => null, 'tls' => false, 'headers' => [], 'options' => [], 'server' => []];
    $server ??= server_for($c);
    $out = ['ip' => null, 'ips' => null, 'protocol' => null, 'secure' => null, 'host' => null, 'hostname' => null];
    $raised = [];
    $accessors = [
        'ip' => fn (Request $r) => $r->getClientIp(),
        'protocol' => fn (Request $r) => $r->getScheme(),
        'secure' => fn (Request $r) => $r->isSecure(),
        'host' => fn (Request $r) => $r->getHttpHost(),
        'hostname' => fn (Request $r) => $r->getHost(),
    ];
    foreach ($accessors as $field => $get) {
        // A fresh request per accessor: Symfony throws ConflictingHeadersException
        // and SuspiciousOperationException once per Request object.
        $_SERVER = $server;
        $request = new Request([], [], [], [], [], $server);
        try {
            configure($request, $c);
            $v = $get($request);
            $out[$field] = is_int($v) ? (string) $v : $v;
        } catch (\Throwable $e) {
            $raised[$field] = (new \ReflectionClass($e))->getShortName();
        }
    }
    if ($raised) {
        $out['raised'] = $raised;
    }
    return $out;
}

// ---- cases ------------------------------------------------------------------

function pick(array $a) { return $a[mt_rand(0, count($a) - 1)]; }

function hand_picked(): array
{
    $cases = [];
    $fw = function ($framework, $version, $trust, array $extra = []) {
        $c = ['framework' => $framework, 'version' => $version];
        if ($trust !== '__unset__') {
            $c['trust_proxy'] = $trust;
        }
        return $c + $extra;
    };
    $reqs = [
        ['127.0.0.1', false, [['X-Forwarded-For', '1.1.1.1'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-For', '6.6.6.6, 1.1.1.1'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-For', '1.1.1.1, garbage, 10.0.0.2'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-For', '01.1.1.1'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-For', '1.1.1.1:8080, [2001:db8::1]:443'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-For', '[::1'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-For', '::ffff:1.2.3.4, 1:2::1.2.3.4'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-For', '6.6.6.6'], ['X-Forwarded-For', '1.1.1.1'], ['Host', 'a.example']]],
        ['8.8.8.8', false, [['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'evil.example'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-Proto', 'HTTPS, http'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-Proto', 'http, https'], ['Host', 'a.example']]],
        ['127.0.0.1', true, [['X-Forwarded-Proto', ''], ['Host', 'a.example']]],
        ['127.0.0.1', true, [['X-Forwarded-Proto', 'http'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-Proto', 'ssl'], ['X-Forwarded-Port', '8443'], ['Host', 'a.example:8080']]],
        ['127.0.0.1', false, [['X-Forwarded-Host', 'evil.example:8443, a.example'], ['Host', 'a.example:8080']]],
        ['127.0.0.1', false, [['X-Forwarded-Host', 'bad host'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-Host', '[::1]:8080'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['X-Forwarded-Host', ''], ['Host', 'a.example:81']]],
        ['127.0.0.1', false, [['Host', 'Bad_Host!']]],
        ['127.0.0.1', false, [['Host', 'A.Example:abc']]],
        ['127.0.0.1', true, []],
        ['127.0.0.1', false, [['Forwarded', 'for=6.6.6.6;proto=https;host=evil.example'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['Forwarded', 'for=1.1.1.1'], ['X-Forwarded-For', '1.1.1.1'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['Forwarded', 'for=6.6.6.6'], ['X-Forwarded-For', '1.1.1.1'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['Forwarded', 'for="[2001:db8::1]:80", for=unknown;proto'], ['Host', 'a.example']]],
        ['127.0.0.1', false, [['Forwarded', 'proto'], ['X-Forwarded-Proto', '1'], ['Host', 'a.example']]],
        ['::1', false, [['X-Forwarded-For', '1.1.1.1'], ['Host', '[::1]:3000']]],
        ['::ffff:127.0.0.1', false, [['X-Forwarded-For', '1.1.1.1'], ['Host', 'a.example']]],
        ['10.1.2.3', false, [['X-Forwarded-For', '1.1.1.1, 10.0.0.9'], ['Host', 'a.example']]],
        [null, false, [['X-Forwarded-For', '1.1.1.1'], ['Host', 'a.example']]],
    ];
    $trusts = [
        ['symfony', '5.4', '__unset__'], ['symfony', '5.4', ['127.0.0.1']], ['symfony', '5.4', '127.0.0.1, 10.0.0.0/8'],
        ['symfony', '5.4', ['REMOTE_ADDR']], ['symfony', '5.4', ['PRIVATE_SUBNETS']], ['symfony', '5.4', ['*']],
        ['symfony', '5.4', ['0.0.0.0/0', '::/0']], ['symfony', '5.4', ['10.0.0.1 ']], ['symfony', '5.4', ['127.0.0.1/33', '::1/0']],
        ['symfony', '5.4', ['127.0.0.1/1x']], ['symfony', '5.4', ['10.0.0.0/8', '127.0.0.1/10x']], ['symfony', '5.4', ['::ffff:127.0.0.1']],
        ['laravel', '10', '__unset__'], ['laravel', '10', '*'], ['laravel', '10', '**'], ['laravel', '10', ['*']],
        ['laravel', '10', '127.0.0.1, 10.0.0.0/8'], ['laravel', '10', ['REMOTE_ADDR', '10.0.0.0/8']], ['laravel', '10', ''],
        ['laravel', '11', '*'], ['laravel', '11', ['REMOTE_ADDR']], ['laravel', '11', '0.0.0.0/0'], ['laravel', '11', []],
    ];
    foreach ($trusts as [$f, $v, $t]) {
        foreach ($reqs as [$peer, $tls, $headers]) {
            $cases[] = $fw($f, $v, $t) + ['peer' => $peer, 'tls' => $tls, 'headers' => $headers];
        }
    }
    $opts = [
        ['symfony', '5.4', ['127.0.0.1'], ['trusted_headers' => ['forwarded']]],
        ['symfony', '5.4', ['127.0.0.1'], ['trusted_headers' => ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port']]],
        ['symfony', '5.4', ['127.0.0.1'], ['trusted_headers' => Request::HEADER_X_FORWARDED_TRAEFIK]],
        ['symfony', '5.4', '127.0.0.1', ['trusted_headers' => ['HEADER_X_FORWARDED_FOR', 'HEADER_X_FORWARDED_HOST']]],
        ['laravel', '10', '*', ['trusted_headers' => 'HEADER_FORWARDED']],
        ['laravel', '11', '*', ['trusted_headers' => Request::HEADER_FORWARDED | Request::HEADER_X_FORWARDED_FOR | Request::HEADER_X_FORWARDED_PROTO | Request::HEADER_X_FORWARDED_HOST | Request::HEADER_X_FORWARDED_PORT]],
        ['laravel', '10', '*', ['trusted_headers' => 'HEADER_X_FORWARDED_AWS_ELB']],
        ['laravel', '11', '*', ['trusted_headers' => 0]],
    ];
    foreach ($opts as [$f, $v, $t, $o]) {
        foreach ($reqs as [$peer, $tls, $headers]) {
            $cases[] = $fw($f, $v, $t, ['options' => $o]) + ['peer' => $peer, 'tls' => $tls, 'headers' => $headers];
        }
    }
    foreach ([['symfony', '5.4', ['127.0.0.1']], ['laravel', '10', '*']] as [$f, $v, $t]) {
        foreach ($reqs as [$peer, $tls, $headers]) {
            $cases[] = $fw($f, $v, $t, ['server' => ['name' => 'php-cli-server']]) + ['peer' => $peer, 'tls' => $tls, 'headers' => $headers];
            $cases[] = $fw($f, $v, $t, ['server' => ['name' => 'php-fpm']]) + ['peer' => $peer, 'tls' => $tls, 'headers' => $headers];
        }
    }
    return $cases;
}

const PEERS = ['127.0.0.1', '127.0.0.2', '10.0.0.2', '10.1.2.3', '192.168.1.5', '172.16.0.1', '172.32.0.1', '8.8.8.8', '1.1.1.1',
    '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.2', '2001:db8::1', 'fe80::1', 'fc00::1', '169.254.1.1', '0.0.0.0', '::'];
const ENTRIES = ['1.1.1.1', '6.6.6.6', '8.8.8.8', '10.0.0.2', '10.0.0.9', '127.0.0.1', '192.168.1.5', '172.16.0.1', '::1',
    '2001:db8::1', '2001:DB8::2', 'fe80::1', '::ffff:1.2.3.4', '::ffff:10.0.0.2', '1.1.1.1:8080', '[2001:db8::1]:443', '[::1]',
    '[::1', 'unknown', 'garbage', '01.2.3.4', '1.2.3', '256.1.1.1', 'fe80::1%eth0', '1:2::1.2.3.4', '0.0.0.0', '', ' ', '_hidden',
    '1.1.1.1 2.2.2.2', '1.2.3.4/32'];
const TRUST_ENTRIES = ['127.0.0.1', '127.0.0.0/8', '10.0.0.0/8', '10.0.0.1/8', '192.168.0.0/16', '172.16.0.0/12', '::1',
    '::1/128', 'fc00::/7', 'fe80::/10', '2001:db8::/32', '0.0.0.0/0', '::/0', '1.1.1.1', '8.8.8.8/32', 'REMOTE_ADDR',
    '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/abc', '10.0.0.0/', '10.0.0.0/1e1', '10.0.0.0/8.5', '10.0.0.0/ 8', '10.0.0.0/00',
    '::/00', '::1/10x', '::ffff:127.0.0.1', '::ffff:10.0.0.0/104', 'localhost', '*', '10.0.0.1 ', '01.0.0.1', '', '127.0.0.1/32/'];
const PROTOS = ['https', 'http', 'HTTPS', 'Https', 'on', 'ssl', '1', 'off', '0', 'https, http', 'http, https', 'https,http',
    '', 'wss', ' https'];
const HOSTS = ['a.example', 'evil.example', 'a.example:8080', 'A.Example', 'evil.example:443', 'a.example, evil.example',
    'evil.example:8443, a.example', '[::1]:8080', '[::1]', '127.0.0.1:3000', 'bad host', 'bad_host', 'x.example.', 'a.example:abc',
    'a.example:', 'b.example:0443', '', 'a..example', 'ex%41mple.com', 'a.example:8080:90'];
const PORTS = ['443', '80', '8080', '8443', 'abc', '80, 443', '', '0', '65536', ' 81', '1e3'];
const FORWARDED = ['for=6.6.6.6', 'for=1.1.1.1', 'for=1.1.1.1;proto=https', 'for="[2001:db8::1]:8080"', 'for=unknown',
    'for=6.6.6.6, for=10.0.0.2', 'proto=https', 'proto=http', 'host=evil.example', 'host="evil.example:8443"', 'for=1.1.1.1;host=a.example;proto=https',
    'proto', 'For=1.1.1.1', 'for=1.1.1.1 ; proto = https', 'for=_hidden', 'for="1.1.1.1', 'for=1.1.1.1,,for=8.8.8.8', '', 'by=10.0.0.1;for=6.6.6.6'];

function random_list(array $pool, int $max): string
{
    $n = mt_rand(1, $max);
    $items = [];
    for ($i = 0; $i < $n; $i++) {
        $items[] = pick($pool);
    }
    return implode(pick([', ', ',', ' ,', ',  ']), $items);
}

function random_case(): array
{
    $framework = pick(['symfony', 'laravel']);
    $c = ['framework' => $framework, 'version' => $framework === 'symfony' ? SYMFONY_LABEL : pick(SYMFONY_LABEL === '5.4' ? ['10', '11'] : ['11', '12', '13'])];
    $r = mt_rand(0, 9);
    if ($r > 0) {
        $entries = [];
        for ($i = mt_rand(0, 3); $i >= 0; $i--) {
            $entries[] = pick(TRUST_ENTRIES);
            // The keywords mean something from Symfony 7.2 on (laravel 11+ runs there).
            if (mt_rand(0, 9) === 0 && ($framework === 'symfony' || SYMFONY_LABEL !== '5.4')) {
                $entries[] = pick(['PRIVATE_SUBNETS', 'private_ranges']);
            }
        }
        if ($framework === 'laravel' && $r <= 3) {
            $c['trust_proxy'] = pick(['*', '**', '*', implode(',', $entries), null]);
        } elseif ($r <= 5) {
            $c['trust_proxy'] = implode(pick([',', ', ']), $entries);
        } else {
            $c['trust_proxy'] = $entries;
        }
    }
    if (mt_rand(0, 3) === 0) {
        $c['options'] = ['trusted_headers' => $framework === 'symfony'
            ? pick([mt_rand(0, 63), ['forwarded', 'x-forwarded-for'], ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port'], ['forwarded']])
            : ($c['version'] === '10'
                ? pick([mt_rand(0, 63), 'HEADER_FORWARDED', 'HEADER_X_FORWARDED_AWS_ELB', 'HEADER_X_FORWARDED_FOR', 'HEADER_X_FORWARDED_TRAEFIK'])
                : pick([mt_rand(0, 63), 0, Request::HEADER_FORWARDED | Request::HEADER_X_FORWARDED_FOR]))];
    }
    if (mt_rand(0, 4) === 0) {
        $c['server'] = ['name' => pick(['php-fpm', 'php-cli-server'])];
    }
    $c['peer'] = mt_rand(0, 40) === 0 ? null : pick(PEERS);
    $c['tls'] = mt_rand(0, 2) === 0;
    $headers = [];
    $gen = [
        'X-Forwarded-For' => fn () => random_list(ENTRIES, 4),
        'X-Forwarded-Proto' => fn () => pick(PROTOS),
        'X-Forwarded-Host' => fn () => pick(HOSTS),
        'X-Forwarded-Port' => fn () => pick(PORTS),
        'Forwarded' => fn () => random_list(FORWARDED, 2),
    ];
    $weights = ['X-Forwarded-For' => 2, 'X-Forwarded-Proto' => 3, 'X-Forwarded-Host' => 3, 'X-Forwarded-Port' => 6, 'Forwarded' => 5];
    foreach ($gen as $name => $g) {
        if (mt_rand(0, $weights[$name]) === 0) {
            continue;
        }
        if (mt_rand(0, $weights[$name] + 1) === 0) {
            continue;
        }
        $headers[] = [$name, $g()];
        if (mt_rand(0, 7) === 0) {
            $headers[] = [$name, $g()];
        }
    }
    if (mt_rand(0, 12) !== 0) {
        $headers[] = ['Host', SYMFONY_LABEL !== '5.4' && mt_rand(0, 5) === 0 ? pick(['app.on-forge.com', 'x.on-vapor.com:8080', 'A.On-Forge.com']) : pick(HOSTS)];
    }
    // shuffle with mt_rand (shuffle() is seeded by the same generator, but be explicit)
    for ($i = count($headers) - 1; $i > 0; $i--) {
        $j = mt_rand(0, $i);
        [$headers[$i], $headers[$j]] = [$headers[$j], $headers[$i]];
    }
    $c['headers'] = $headers;
    return $c;
}

function emit(array $c): void
{
    $line = ['case' => $c, 'want' => evaluate($c)];
    echo json_encode($line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR), "\n";
}

if (realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    $opts = getopt('', ['seed:', 'count:', 'cases:']);
    if (isset($opts['cases'])) {
        foreach (file($opts['cases'], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $line) {
            $c = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
            emit($c['case'] ?? $c);
        }
        exit(0);
    }
    mt_srand((int) ($opts['seed'] ?? 1), MT_RAND_MT19937);
    $count = (int) ($opts['count'] ?? 4000);
    $n = 0;
    foreach (hand_picked() as $c) {
        if (SYMFONY_LABEL !== '5.4') {
            if (is_string($c['options']['trusted_headers'] ?? null)) {
                continue; // a constant's name is Laravel 10's $headers only
            }
            $c['version'] = ['5.4' => SYMFONY_LABEL, '10' => '12', '11' => '13'][$c['version']];
        }
        emit($c);
        $n++;
    }
    for (; $n < $count; $n++) {
        emit(random_case());
    }
}
