<?php
// filter_var(FILTER_VALIDATE_IP) and IpUtils::checkIp (Debian's Symfony 5.4)
// on hand-picked and random texts, for trustmodel/php's transcriptions:
//   php iputils.php --seed 1 --count 20000 > iputils.jsonl
require getenv('SYMFONY_HTTP_FOUNDATION_AUTOLOAD') ?: '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php';
use Symfony\Component\HttpFoundation\IpUtils;

error_reporting(E_ALL & ~E_DEPRECATED & ~E_WARNING & ~E_NOTICE);
$opts = getopt('', ['seed:', 'count:']);
mt_srand((int) ($opts['seed'] ?? 1), MT_RAND_MT19937);
$count = (int) ($opts['count'] ?? 20000);

function pick(array $a) { return $a[mt_rand(0, count($a) - 1)]; }
function rnd_ip(): string
{
    switch (mt_rand(0, 3)) {
        case 0: return implode('.', array_map(fn () => (string) (mt_rand(0, 3) ? mt_rand(0, 300) : str_pad((string) mt_rand(0, 99), 3, '0', STR_PAD_LEFT)), range(1, mt_rand(3, 5))));
        case 1: $g = []; for ($i = mt_rand(1, 9); $i > 0; $i--) { $g[] = mt_rand(0, 3) ? dechex(mt_rand(0, 0xFFFF)) : ''; } return implode(':', $g);
        case 2: return pick(['::ffff:', '::', '1::', 'fe80::', '2001:db8::', '1:2:3:4:5:6:']).implode('.', [mt_rand(0, 260), mt_rand(0, 9), mt_rand(0, 9), mt_rand(0, 9)]);
        default: $a = str_split('0123456789abcdefABCDEF:.[]% x'); $s = ''; for ($i = mt_rand(1, 14); $i > 0; $i--) { $s .= pick($a); } return $s;
    }
}
$masks = ['', '0', '00', '8', '16', '24', '32', '33', '-1', 'abc', '1e1', '8.5', ' 8', '8 ', '10x', '1x', '64', '96', '128', '129', '0x8', '3 2', '1.', '.5'];
$hand = ['1.2.3.4', '01.2.3.4', '::ffff:1.2.3.4', '1:2:3:4:5:6:7::', '1::2:3:4:5:6:7:8', 'fe80::1%eth0', '[::1]', '::', '1.2.3.4 '];
for ($n = 0; $n < $count; $n++) {
    $ip = $n < count($hand) ? $hand[$n] : rnd_ip();
    $entry = mt_rand(0, 2) ? rnd_ip().(mt_rand(0, 1) ? '/'.pick($masks) : '') : $ip;
    if (mt_rand(0, 3) === 0) {
        $entry = pick(['10.0.0.0', '127.0.0.0', '0.0.0.0', '::', '::1', '2001:db8::', 'fe80::', '::ffff:10.0.0.0', '1.2.3.0']).'/'.pick($masks);
    }
    try {
        $check = IpUtils::checkIp($ip, [$entry]);
    } catch (\TypeError $e) {
        $check = 'TypeError';
    }
    echo json_encode(['ip' => $ip, 'entry' => $entry, 'valid' => false !== filter_var($ip, FILTER_VALIDATE_IP), 'check' => $check]), "\n";
}
