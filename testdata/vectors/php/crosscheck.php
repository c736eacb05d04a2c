<?php
// Sends cases over real TCP to PHP's built-in server (php -S), whose front
// controller (this file, as router) evaluates the case on the real $_SERVER,
// and compares with gen.php's evaluation of a php-cli-server $_SERVER.
// Cases are random ones with a non-empty Host line and peer 127.0.0.1 (php -S sets
// SERVER_NAME/SERVER_PORT from its own address, which gen.php does not).
//   php crosscheck.php --seed 7 --count 500
require __DIR__.'/gen.php';

if (PHP_SAPI === 'cli-server') {
    $c = json_decode(base64_decode($_SERVER['HTTP_X_TRUSTCHECK_CASE']), true);
    unset($_SERVER['HTTP_X_TRUSTCHECK_CASE']);
    echo json_encode(evaluate($c, $_SERVER));
    return;
}

$opts = getopt('', ['seed:', 'count:']);
mt_srand((int) ($opts['seed'] ?? 7), MT_RAND_MT19937);
$count = (int) ($opts['count'] ?? 500);
$port = 18000 + mt_rand(0, 999);
$proc = proc_open([PHP_BINARY, '-S', "127.0.0.1:$port", __FILE__], [['pipe', 'r'], ['file', '/dev/null', 'w'], ['file', '/dev/null', 'w']], $pipes);
for ($t = 0; $t < 50 && !($probe = @fsockopen('127.0.0.1', $port)); $t++) {
    usleep(100000);
}
$n = $bad = 0;
for ($i = 0; $i < $count; $i++) {
    $c = random_case();
    if (!array_filter($c['headers'], fn ($h) => $h[0] === 'Host' && $h[1] !== '' && $h[1] !== '0') || $c['tls']) {
        continue;
    }
    $c['peer'] = '127.0.0.1';
    $c['server'] = ['name' => 'php-cli-server'];
    $raw = "GET / HTTP/1.1\r\n";
    foreach ($c['headers'] as [$name, $value]) {
        $raw .= "$name: $value\r\n";
    }
    $raw .= 'X-Trustcheck-Case: '.base64_encode(json_encode($c))."\r\nConnection: close\r\n\r\n";
    $s = fsockopen('127.0.0.1', $port);
    fwrite($s, $raw);
    $resp = stream_get_contents($s);
    fclose($s);
    $got = json_decode(explode("\r\n\r\n", $resp, 2)[1] ?? 'null', true);
    $want = evaluate($c);
    $n++;
    if ($got !== $want) {
        $bad++;
        if ($bad <= 10) {
            fwrite(STDERR, 'mismatch '.json_encode($c)."\n  server ".json_encode($got)."\n  gen.php ".json_encode($want)."\n");
        }
    }
}
proc_terminate($proc);
echo "$n cases through php -S, $bad mismatches\n";
exit($bad ? 1 : 0);
