<?php
// HeaderUtils::split($v, ',;=') then HeaderUtils::combine per element, as
// Request::getTrustedValues reads Forwarded, on random texts (Symfony 5.4):
//   php headerutils.php --seed 1 --count 10000 > headerutils.jsonl
require getenv('SYMFONY_HTTP_FOUNDATION_AUTOLOAD') ?: '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php';
use Symfony\Component\HttpFoundation\HeaderUtils;

$opts = getopt('', ['seed:', 'count:']);
mt_srand((int) ($opts['seed'] ?? 1), MT_RAND_MT19937);
$pieces = ['for', 'For', 'proto', 'host', 'by', '=', '=', ';', ';', ',', ',', ' ', ' ', "\t", '"', '"', '\\', '1.1.1.1', '[::1]:80',
    'https', 'a.example', 'x', '_', ':'];
for ($n = (int) ($opts['count'] ?? 10000); $n > 0; $n--) {
    $s = '';
    for ($i = mt_rand(1, 12); $i > 0; $i--) {
        $s .= $pieces[mt_rand(0, count($pieces) - 1)];
    }
    $elements = [];
    foreach (HeaderUtils::split($s, ',;=') as $parts) {
        $elements[] = HeaderUtils::combine($parts);
    }
    echo json_encode(['header' => $s, 'elements' => $elements]), "\n";
}
