<?php
// The end-to-end suite's Symfony/Laravel app (e2e/apps_php.go): the router
// script of PHP's built-in server (`php -S HOST:PORT app.php`, Debian's
// php-cli), answering every request with what Symfony HttpFoundation's
// Request (Debian's php-symfony-http-foundation) resolves from the real
// $_SERVER after the app's trust configuration ran:
// {"ip", "ips": null, "protocol", "secure", "host", "hostname"} and, when an
// accessor throws, the field null and "raised": {field: ShortClassName}.
//
//   TC_E2E_APP=APP_JSON php -S HOST:PORT app.php
//
// APP_JSON is the app of `trustcheck paths --format json`. The trust
// configuration and accessors are testdata/vectors/php/gen.php's, the same
// that generate the truth vectors: symfony is Request::setTrustedProxies as
// HttpKernel's Kernel::boot calls it; laravel is Laravel's TrustProxies
// middleware as transcribed there (Laravel itself is not packaged in Debian),
// run on the same Symfony Request.
require __DIR__.'/../vectors/php/gen.php';

$app = json_decode(getenv('TC_E2E_APP'), true, 512, JSON_THROW_ON_ERROR);
header('Content-Type: application/json');
echo json_encode(evaluate($app, $_SERVER), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
