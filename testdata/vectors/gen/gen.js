#!/usr/bin/env node
// Records what the REAL npm packages (Express 4/5, express-session, Fastify 4/5,
// Koa 2/3, proxy-addr 2.0.7/2.0.8) compute from a socket address and forwarded
// headers, as JSON lines {"case": CASE, "want": RESULT} that trustcheck's Go
// tests replay through `trustcheck simulate --batch`.
//
//   node gen.js --seed N --count M   hand-picked cases first, then seeded random ones, M lines in all
//   node gen.js --request-ip --seed N --count M   the same for the request-ip package
//   node gen.js --cases FILE         evaluate the cases in FILE (one CASE, or one {"case":...} line, per line)
//   node gen.js --check FILE         re-evaluate a recorded file and report every line whose "want" differs
//
// Plain CommonJS, no dev dependencies; see ../README.md.
'use strict'

// Express 4's req.host is a depd-deprecated alias: silence the warning (depd honours this flag).
process.noDeprecation = true

const http = require('http')
const net = require('net')
const fs = require('fs')

const MODULES = {
  express: { 4: 'express4', 5: 'express5' },
  fastify: { 4: 'fastify4', 5: 'fastify5', '5.12.0': 'fastify-5.12.0', '5.8.2': 'fastify-5.8.2' },
  koa: { 2: 'koa2', 3: 'koa3' },
  'proxy-addr': { '2.0.7': 'pa207', '2.0.8': 'proxy-addr' },
  'request-ip': { '3.3.0': 'request-ip' }
}

// [framework, version] pairs of the main random stream, in a fixed order;
// request-ip has a stream of its own (--request-ip), so that adding it left
// the recorded vectors of the others as they were.
const TARGETS = []
for (const fw of Object.keys(MODULES)) if (fw !== 'request-ip') for (const v of Object.keys(MODULES[fw])) TARGETS.push([fw, v])

// ---------------------------------------------------------------------------------------------
// The request: a real http.IncomingMessage on a real (unconnected) net.Socket.
//
// On a live connection Node's HTTP parser hands the header lines to
// IncomingMessage#_addHeaderLines(rawHeaders, n); the lazy `headers` getter
// then joins repeated lines with Node's own _addHeaderLine (", " for most
// fields, first-wins for host & co, "; " for cookie). We make the same call, so
// the joining is Node's, not ours. llhttp strips leading/trailing SP/HTAB from
// each value before that; wireValue() does the same so that a hand-written case
// means what it would mean on the wire (generated cases are already trimmed).
// remoteAddress/encrypted are the only socket properties the packages read:
// net.Socket#remoteAddress is a getter over getpeername(), which we shadow with
// an own property (undefined for `peer: null`, as on a destroyed socket);
// tls.TLSSocket sets an own `encrypted = true`, a plain net.Socket has none.
// ---------------------------------------------------------------------------------------------

function wireValue (v) {
  return String(v).replace(/^[ \t]+|[ \t]+$/g, '')
}

function hasHeader (c, name) {
  return c.headers.some(([n]) => String(n).toLowerCase() === name)
}

function makeReq (c) {
  const sock = new net.Socket()
  Object.defineProperty(sock, 'remoteAddress', {
    value: c.peer === null || c.peer === undefined ? undefined : c.peer,
    configurable: true,
    enumerable: true
  })
  if (c.tls) sock.encrypted = true
  const req = new http.IncomingMessage(sock)
  req.method = 'GET'
  req.url = '/'
  // A request without Host only reaches the app as HTTP/1.0 (Node answers
  // HTTP/1.1 without Host with 400, requireHostHeader); none of the packages
  // reads the minor version.
  const minor = hasHeader(c, 'host') ? 1 : 0
  req.httpVersionMajor = 1
  req.httpVersionMinor = minor
  req.httpVersion = '1.' + minor
  const raw = []
  for (const [n, v] of c.headers) raw.push(String(n), wireValue(v))
  req._addHeaderLines(raw, raw.length)
  return req
}

function nul (v) {
  return v === undefined ? null : v
}

function result (o) {
  const out = {}
  for (const k of ['ip', 'ips', 'protocol', 'secure', 'host', 'hostname', 'session_cookie']) {
    if (!(k in o)) continue
    let v = o[k]
    if (Array.isArray(v)) v = v.map(nul)
    out[k] = nul(v)
  }
  return out
}

function errResult (e) {
  return { error: e && e.message !== undefined ? String(e.message) : String(e) }
}

function trustKey (c) {
  return 'trust_proxy' in c ? JSON.stringify(c.trust_proxy) : '<absent>'
}

// ---------------------------------------------------------------------------------------------
// Field extraction (also used by crosscheck.js on real sockets)
// ---------------------------------------------------------------------------------------------

function expressFields (req) {
  return { ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure, host: req.host, hostname: req.hostname }
}

function fastifyFields (request) {
  // Fastify has no request.secure (not in 4.x or 5.x lib/request.js): computed here.
  const protocol = request.protocol
  return { ip: request.ip, ips: request.ips, protocol, secure: protocol === 'https', host: request.host, hostname: request.hostname }
}

function koaFields (ctx) {
  return { ip: ctx.ip, ips: ctx.ips, protocol: ctx.protocol, secure: ctx.secure, host: ctx.host, hostname: ctx.hostname }
}

function proxyAddrFields (pa, fn, req) {
  return { ip: pa(req, fn), ips: pa.all(req, fn), protocol: null, secure: null, host: null, hostname: null }
}

function sessionCookieStatus (setCookie) {
  const list = setCookie === undefined ? [] : [].concat(setCookie)
  const sid = list.find((s) => String(s).startsWith('connect.sid='))
  if (!sid) return 'withheld'
  return /;\s*secure\s*(;|$)/i.test(sid) ? 'secure' : 'insecure'
}

// ---------------------------------------------------------------------------------------------
// App builders, cached per framework/version/trust value/options
// ---------------------------------------------------------------------------------------------

const CAPTURE = Symbol('trustcheck.capture')
const cache = new Map()

function sessionOptions (s) {
  const o = { secret: 'x', resave: false, saveUninitialized: true, cookie: { secure: s.cookie_secure } }
  if (s.proxy !== null && s.proxy !== undefined) o.proxy = s.proxy
  return o
}

// Express: the app exactly as a user writes it; app.set('trust proxy') throws
// for invalid values, which is recorded as the error.
function buildExpress (version, c) {
  const express = require(MODULES.express[version])
  const app = express()
  if ('trust_proxy' in c) app.set('trust proxy', c.trust_proxy)
  if (c.session) app.use(require('express-session')(sessionOptions(c.session)))
  app.use(function capture (req, res) {
    let out
    try {
      out = result(expressFields(req))
    } catch (e) {
      out = errResult(e)
    }
    if (req.session) req.session.n = 1
    if (req[CAPTURE]) req[CAPTURE](out)
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify(out))
  })
  return app
}

// Fastify: constructing the instance compiles trustProxy (getTrustProxyFn runs
// inside buildRequest at construction), so invalid values throw here.
function buildFastify (version, c, extra) {
  const Fastify = require(MODULES.fastify[version])
  const opts = Object.assign({ logger: false }, c.options || {}, extra || {})
  if ('trust_proxy' in c) opts.trustProxy = c.trust_proxy
  const f = Fastify(opts)
  f.get('/', function (request, reply) {
    let out
    try {
      out = result(fastifyFields(request))
    } catch (e) {
      out = errResult(e)
    }
    if (request.raw[CAPTURE]) request.raw[CAPTURE](out)
    reply.header('Content-Type', 'application/json').send(JSON.stringify(out))
  })
  return f
}

// Koa: options go to the constructor, trust_proxy is assigned to app.proxy.
function buildKoa (version, c) {
  const Koa = require(MODULES.koa[version])
  const app = new Koa(c.options || {})
  if ('trust_proxy' in c) app.proxy = c.trust_proxy
  app.use(function (ctx) {
    let out
    try {
      out = result(koaFields(ctx))
    } catch (e) {
      out = errResult(e)
    }
    ctx.type = 'application/json'
    ctx.body = JSON.stringify(out)
  })
  return app
}

function buildProxyAddr (version, c) {
  const pa = require(MODULES['proxy-addr'][version])
  return { pa, fn: pa.compile(c.trust_proxy) }
}

async function getTarget (c) {
  const key = [c.framework, c.version, trustKey(c), JSON.stringify(c.options || null), JSON.stringify(c.session || null)].join('\u0000')
  let t = cache.get(key)
  if (t) return t
  t = {}
  try {
    switch (c.framework) {
      case 'express': t.app = buildExpress(c.version, c); break
      case 'fastify': t.app = buildFastify(c.version, c); await t.app.ready(); break
      case 'koa': t.app = buildKoa(c.version, c); break
      case 'proxy-addr': Object.assign(t, buildProxyAddr(c.version, c)); break
      case 'request-ip': t.rip = require(MODULES['request-ip'][c.version]); break
      default: throw new Error('unknown framework ' + c.framework)
    }
  } catch (e) {
    t = { error: errResult(e) }
  }
  cache.set(key, t)
  return t
}

function checkCase (c) {
  if (!c || typeof c !== 'object') throw new Error('case is not an object')
  if (!MODULES[c.framework] || !MODULES[c.framework][c.version]) {
    throw new Error('unknown framework/version ' + c.framework + ' ' + c.version)
  }
  if (!Array.isArray(c.headers)) throw new Error('headers must be a list of [name, value] pairs')
  if (c.session && c.framework !== 'express') throw new Error('session is express-only')
}

// ---------------------------------------------------------------------------------------------
// Evaluation of one case
// ---------------------------------------------------------------------------------------------

async function evaluate (c) {
  checkCase(c)
  const t = await getTarget(c)
  if (t.error) return t.error
  const req = makeReq(c)
  switch (c.framework) {
    case 'proxy-addr':
      try {
        return result(proxyAddrFields(t.pa, t.fn, req))
      } catch (e) {
        return errResult(e)
      }
    case 'request-ip':
      // getClientIp(req) on the request as Node hands it to any framework
      try {
        return result({ ip: t.rip.getClientIp(req), ips: null, protocol: null, secure: null, host: null, hostname: null })
      } catch (e) {
        return errResult(e)
      }
    case 'koa': {
      const res = new http.ServerResponse(req)
      try {
        // what app.callback() does per request before running the middleware
        return result(koaFields(t.app.createContext(req, res)))
      } catch (e) {
        return errResult(e)
      }
    }
    case 'express':
    case 'fastify':
      return runThroughApp(c, t.app, req)
  }
}

// Express: app.handle(req, res) runs the whole app (express's init middleware
// sets the request prototype, then express-session, then our handler) exactly
// as http.createServer(app) would. Fastify: fastify.routing is the handler its
// own http server is created with. The response is a real ServerResponse, so
// express-session's on-headers hook runs when the headers are written.
function runThroughApp (c, app, req) {
  return new Promise((resolve) => {
    const res = new http.ServerResponse(req)
    let out
    let settled = false
    const settle = (v) => {
      if (!settled) {
        settled = true
        resolve(v)
      }
    }
    req[CAPTURE] = (o) => { out = o }
    const origEnd = res.end
    res.end = function () {
      const r = origEnd.apply(this, arguments)
      if (out === undefined) {
        settle({ error: 'request ended without reaching the handler (status ' + res.statusCode + ')' })
      } else if (c.session && !out.error) {
        settle(Object.assign({}, out, { session_cookie: sessionCookieStatus(res.getHeader('set-cookie')) }))
      } else {
        settle(out)
      }
      return r
    }
    try {
      if (c.framework === 'express') {
        app.handle(req, res, (err) => settle(err ? errResult(err) : { error: 'not handled' }))
      } else {
        app.routing(req, res)
      }
    } catch (e) {
      settle(errResult(e))
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Case construction
// ---------------------------------------------------------------------------------------------

const ABSENT = Symbol('absent')

function mk (framework, version, trust, peer, tls, headers, extra) {
  const c = { framework, version }
  if (trust !== ABSENT) c.trust_proxy = trust
  c.peer = peer
  c.tls = tls
  c.headers = headers
  if (extra && extra.options) c.options = extra.options
  if (extra && extra.session) c.session = extra.session
  return c
}

const ex4 = (...a) => mk('express', '4', ...a)
const ex5 = (...a) => mk('express', '5', ...a)
const fa4 = (...a) => mk('fastify', '4', ...a)
const fa5 = (...a) => mk('fastify', '5', ...a)
const fa5120 = (...a) => mk('fastify', '5.12.0', ...a)
const fa582 = (...a) => mk('fastify', '5.8.2', ...a)
const koa2 = (...a) => mk('koa', '2', ...a)
const koa3 = (...a) => mk('koa', '3', ...a)
const pa7 = (...a) => mk('proxy-addr', '2.0.7', ...a)
const pa8 = (...a) => mk('proxy-addr', '2.0.8', ...a)
const EXPRESS = [ex4, ex5]
const FASTIFY = [fa4, fa582, fa5120, fa5]
const KOA = [koa2, koa3]
const PA = [pa7, pa8]
const ALL = [...EXPRESS, ...FASTIFY, ...KOA, ...PA]

const XFF = (v) => ['X-Forwarded-For', v]
const XFP = (v) => ['X-Forwarded-Proto', v]
const XFH = (v) => ['X-Forwarded-Host', v]
const HOST = (v) => ['Host', v]
const ATTACK = [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('app.example')]

// Hand-picked cases: every example of evaluators.md §1-§3 that a CASE can express.
function handPicked () {
  const L = []
  const each = (fns, ...a) => fns.forEach((f) => L.push(f(...a)))

  // ---- §1.1 forwarded(req): the XFF tokenizer --------------------------------------------------
  // empty entries are dropped: "1.1.1.1,,2.2.2.2 , ," -> [2.2.2.2, 1.1.1.1]
  each(ALL, true, '127.0.0.1', false, [XFF('1.1.1.1,,2.2.2.2 , ,'), HOST('a.example')])
  each(PA, 'loopback', '127.0.0.1', false, [XFF('1.1.1.1,,2.2.2.2 , ,')])
  // tabs are not separators in forwarded@0.2.0 ("\t2.2.2.2" is one invalid token); @fastify/forwarded trims them
  each(ALL, 'loopback', '127.0.0.1', false, [XFF('1.1.1.1,\t2.2.2.2'), HOST('a.example')])
  each(ALL, true, '127.0.0.1', false, [XFF('1.1.1.1,\t2.2.2.2'), HOST('a.example')])
  // a space inside a token keeps it one token: "1.1.1.1 2.2.2.2"
  each(ALL, 'loopback', '127.0.0.1', false, [XFF('1.1.1.1 2.2.2.2'), HOST('a.example')])
  // tokens are verbatim: ports, brackets, "unknown" pass through as the client
  each(ALL, 'loopback', '127.0.0.1', false, [XFF('6.6.6.6, 2.2.2.2:80'), HOST('a.example')])
  each(ALL, 'loopback', '127.0.0.1', false, [XFF('6.6.6.6, [::1]'), HOST('a.example')])
  each(ALL, 'loopback', '::1', false, [XFF('6.6.6.6, [::1]:80'), HOST('a.example')])
  each(ALL, 'loopback', '127.0.0.1', false, [XFF('6.6.6.6, unknown'), HOST('a.example')])
  // repeated XFF lines are joined by Node with ", " in arrival order
  each(ALL, true, '127.0.0.1', false, [XFF('1.1.1.1'), HOST('a.example'), XFF('2.2.2.2, 3.3.3.3')])
  each(ALL, 'loopback', '127.0.0.1', false, [XFF('1.1.1.1'), XFF('2.2.2.2'), XFF('127.0.0.5')])
  // an empty XFF line still joins as ", " (", 2.2.2.2")
  each(ALL, 'loopback', '127.0.0.1', false, [XFF(''), XFF('2.2.2.2'), HOST('a.example')])
  // a duplicate Host line: Node keeps the first
  each([...EXPRESS, ...FASTIFY, ...KOA], false, '127.0.0.1', false, [HOST('first.example'), HOST('second.example:81')])

  // ---- §1.3 proxyaddr(): no XFF -> socket; destroyed socket -> undefined ------------------------
  each(ALL, 'loopback', '127.0.0.1', false, [HOST('a.example')])
  each(ALL, 'loopback', null, false, [XFF('6.6.6.6'), HOST('a.example')])
  each(ALL, true, null, false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('a.example')])
  each(ALL, 2, null, false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('a.example')])
  // everything trusted -> the leftmost XFF entry
  each(ALL, 'loopback, uniquelocal', '127.0.0.1', false, [XFF('10.0.0.3, 10.0.0.2'), HOST('a.example')])

  // ---- §1.4 compile(): what the trust value means or why it throws -------------------------------
  // /0 is rejected (address, netmask form, IPv6)
  each(ALL, '0.0.0.0/0', '127.0.0.1', false, ATTACK)
  each(ALL, '::/0', '::1', false, ATTACK)
  each(ALL, '10.0.0.0/0.0.0.0', '10.0.0.2', false, ATTACK)
  // netmask notation; non-contiguous mask throws
  each(ALL, '10.0.0.0/255.0.0.0', '10.1.2.3', false, ATTACK)
  each(ALL, '10.0.0.0/255.0.255.0', '10.1.2.3', false, ATTACK)
  // trailing space: Express/Fastify trim CSV items, bare proxy-addr throws
  each(ALL, '10.0.0.0/8 ', '10.0.0.2', false, ATTACK)
  // space after slash / double slash throw
  each(ALL, '10.0.0.1/ 8', '10.0.0.1', false, ATTACK)
  each(ALL, '10.0.0.1/32/1', '10.0.0.1', false, ATTACK)
  // host bits are not masked: 10.0.0.1/8 == 10.0.0.0/8
  each(ALL, '10.0.0.1/8', '10.9.9.9', false, ATTACK)
  // "08" prefix parses as 8
  each(ALL, '10.0.0.0/08', '10.9.9.9', false, ATTACK)
  // names are case-sensitive
  each(ALL, 'LOOPBACK', '127.0.0.1', false, ATTACK)
  // trailing comma: Express/Fastify compile [loopback, ""] and throw; proxy-addr gets "loopback," itself
  each(ALL, 'loopback,', '127.0.0.1', false, ATTACK)
  // "1" is the IP 0.0.0.1, not one hop
  each(ALL, '1', '127.0.0.1', false, ATTACK)
  each(ALL, '2', '127.0.0.1', false, ATTACK)
  // hex octets are valid
  each(ALL, '0x0a.0.0.1', '10.0.0.1', false, ATTACK)
  // zone ids: kept but ignored by proxy-addr, compared by @fastify/proxy-addr
  each(ALL, 'fe80::1%eth0', 'fe80::1%eth0', false, ATTACK)
  each(ALL, 'fe80::1%eth1', 'fe80::1%eth0', false, ATTACK)
  each(ALL, 'fe80::1%eth0', 'fe80::1', false, ATTACK)
  // [] trusts nothing; {} is unsupported
  each(ALL, [], '127.0.0.1', false, ATTACK)
  each(ALL, {}, '127.0.0.1', false, ATTACK)
  // list with a CSV element (not split inside lists)
  each(ALL, ['loopback, 10.0.0.0/8'], '127.0.0.1', false, ATTACK)
  // non-string list element
  each(ALL, ['loopback', 1], '127.0.0.1', false, ATTACK)
  each(ALL, [null], '127.0.0.1', false, ATTACK)
  // "localhost" is not a name proxy-addr knows
  each(ALL, 'localhost', '127.0.0.1', false, ATTACK)
  // the empty string
  each(ALL, '', '127.0.0.1', false, ATTACK)
  // mapped IPv4 trust address is canonicalised to IPv4 (::ffff:127.0.0.1 -> 127.0.0.1/32)
  each(ALL, '::ffff:127.0.0.1', '127.0.0.1', false, ATTACK)

  // ---- §1.5 trust functions: 2.0.7 vs 2.0.8 table (socket trusted <=> ip 6.6.6.6) -----------------
  const table = [
    ['8.8.8.8', '::ffff:10.0.0.0/8'], // 2.0.7 bug: IPv4-sized prefix on a mapped subnet trusts all IPv4
    ['1.2.3.4', '::/1'], // 2.0.7: v6 subnet matched IPv4
    ['::ffff:1.2.3.4', '::/1'], // same via a mapped socket
    ['::1', '::ffff:0:0/80'], // native v6 vs mapped subnet
    ['10.1.1.1', '::ffff:10.0.0.0/104'], // both: proper mapped range
    ['::ffff:10.1.1.1', '::ffff:10.0.0.0/104'], // both
    ['::ffff:10.1.1.1', '10.0.0.0/8'], // both: mapped socket vs v4 subnet
    ['::ffff:127.0.0.1', 'loopback'], // both
    ['::ffff:127.0.0.1', '::ffff:0:0/95'], // prefix shorter than the ::ffff marker
    ['2001:db8::1', '::/1'], // both
    ['fe80::1%eth0', 'fe80::1%eth1'] // zone ignored by proxy-addr
  ]
  for (const [peer, trust] of table) each([...PA, ...EXPRESS, fa5], trust, peer, false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('app.example')])

  // ---- §1.6 ipaddr.js quirks (1.9.1 for proxy-addr, 2.5.0 for @fastify/proxy-addr) --------------
  // each quirk as an XFF hop behind a trusted loopback peer: trusted <=> ip 6.6.6.6
  for (const q of ['0177.0.0.1', '08.0.0.1', '0X7f.0.0.1', '0x7f.0.0.1', '2130706433', '127.0.0.01', '127.1', '127.0.1', '00000001::', '::FFFF:127.0.0.1', '0:0:0:0:0:0:0:1']) {
    each([pa8, ex5, fa5], 'loopback, 0.0.0.1', '127.0.0.1', false, [XFF('6.6.6.6, ' + q), HOST('a.example')])
  }
  // and as the socket address itself
  for (const q of ['0177.0.0.1', '0x7f.0.0.1', '127.1', '08.0.0.1']) {
    each([pa8, ex4, fa5, fa4], 'loopback', q, false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('a.example')])
  }

  // ---- §1.7 booleans and numbers are not proxy-addr features -----------------------------------
  each(PA, true, '127.0.0.1', false, [XFF('6.6.6.6')])
  each(PA, 2, '127.0.0.1', false, [XFF('6.6.6.6')])
  each(PA, false, '127.0.0.1', false, [XFF('6.6.6.6')])
  each(PA, ABSENT, '127.0.0.1', false, [XFF('6.6.6.6')])

  // ---- §2.1 Express compileTrust ----------------------------------------------------------------
  // true trusts every hop: leftmost everything
  each(EXPRESS, true, '6.6.6.6', false, [XFF('1.1.1.1, 2.2.2.2'), XFP('https'), XFH('x.y.z, a.example'), HOST('app.example')])
  // hop counts: 0, negative, fractional, larger than the chain
  for (const n of [0, 1, 2, 3, -1, 1.5]) each([...EXPRESS, ...FASTIFY], n, '127.0.0.1', false, [XFF('1.1.1.1, 2.2.2.2'), XFP('https'), XFH('x.y.z'), HOST('app.example')])
  // the string "true" throws; "" throws; absent/false/null trust nothing
  each(EXPRESS, 'true', '127.0.0.1', false, ATTACK)
  each(EXPRESS, false, '127.0.0.1', false, ATTACK)
  each(EXPRESS, null, '127.0.0.1', false, ATTACK)
  each(EXPRESS, ABSENT, '127.0.0.1', false, ATTACK)
  // CSV with odd spacing is trimmed item by item
  each(ALL, ' loopback ,\t10.0.0.0/8  ', '10.0.0.2', false, [XFF('6.6.6.6, 127.0.0.1'), XFP('https'), HOST('a.example')])
  // ...with String.prototype.trim, i.e. all JS whitespace incl. NBSP, U+2028 and the BOM U+FEFF
  each([...EXPRESS, ...FASTIFY], 'loopback,\u00a010.0.0.0/8\u2028', '10.0.0.2', false, [XFF('6.6.6.6, 127.0.0.1'), XFP('https'), HOST('a.example')])
  each([...EXPRESS, ...FASTIFY], '\ufeffloopback', '127.0.0.1', false, [XFF('6.6.6.6'), XFP('https'), HOST('a.example')])

  // ---- §2.2 Express request properties -----------------------------------------------------------
  // XFH ",b.com" from a trusted peer -> host/hostname undefined (no fallback to Host)
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFH(',b.com'), HOST('app.example')])
  // empty XFH / XFP fall back to Host / the socket
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', true, [XFH(''), XFP(''), HOST('app.example')])
  // peer not covered by the trust list: no forwarded header is used
  each([...EXPRESS, ...FASTIFY], '10.0.0.1', '127.0.0.1', false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('app.example:3000')])
  // trust 1: ip 2.2.2.2, ips [2.2.2.2], https, hostname x.y.z
  each([...EXPRESS, ...FASTIFY], 1, '127.0.0.1', false, [XFF('1.1.1.1, 2.2.2.2'), XFP('https'), XFH('x.y.z'), HOST('app.example')])
  // RFC 7239 Forwarded is ignored
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [['Forwarded', 'for=6.6.6.6;proto=https;host=evil.com'], HOST('app.example')])
  // XFP is not lowercased: "HTTPS" is not secure (Express, Fastify, Koa 2); Koa 3 lowercases
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFP('HTTPS'), HOST('app.example')])
  // XFP first value (Express/Koa) vs last value (Fastify)
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFP('https, http'), XFH('first.example, last.example'), HOST('app.example')])
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFP('http'), XFP('https'), XFH('first.example'), XFH('last.example'), HOST('app.example')])
  // Express 5 keeps the port in req.host; IPv6 literal hosts keep their brackets
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFH('a.b.evil.com:99'), HOST('app.example')])
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFH('[::1]:8080'), HOST('app.example')])
  each([...EXPRESS, ...FASTIFY, ...KOA], false, '127.0.0.1', false, [HOST('[::1]:3000')])
  each([...EXPRESS, ...FASTIFY, ...KOA], false, '127.0.0.1', false, [HOST('[::1]')])
  // no Host at all (HTTP/1.0)
  each([...EXPRESS, ...FASTIFY, ...KOA], false, '127.0.0.1', false, [])
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFF('6.6.6.6')])
  // TLS socket, untrusted peer: https from the socket regardless of XFP
  each([...EXPRESS, ...FASTIFY, ...KOA], false, '6.6.6.6', true, [XFP('http'), HOST('app.example')])
  // XFP ",https" from a trusted peer: first value is "" (Express), last is "https" (Fastify)
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFP(',https'), HOST('app.example')])

  // ---- §2.3 express-session cookie.secure / proxy ----------------------------------------------
  const sess = (cookie_secure, proxy) => ({ session: { cookie_secure, proxy } }) // eslint-disable-line camelcase
  // behind a TLS proxy without trust proxy: Secure cookie withheld
  each(EXPRESS, ABSENT, '127.0.0.1', false, [XFP('https'), HOST('app.example')], sess(true, null))
  // with trust proxy: sent
  each(EXPRESS, 'loopback', '127.0.0.1', false, [XFP('https'), HOST('app.example')], sess(true, null))
  // proxy:true trusts XFP from any peer, lowercased, first value
  each(EXPRESS, ABSENT, '6.6.6.6', false, [XFP('HTTPS, http'), HOST('app.example')], sess(true, true))
  // proxy:false ignores XFP, but an encrypted socket is still secure
  each(EXPRESS, true, '127.0.0.1', false, [XFP('https'), HOST('app.example')], sess(true, false))
  each(EXPRESS, true, '127.0.0.1', true, [HOST('app.example')], sess(true, false))
  // proxy undefined defers to req.secure: "HTTPS" -> protocol "HTTPS" -> not secure -> withheld
  each(EXPRESS, true, '127.0.0.1', false, [XFP('HTTPS'), HOST('app.example')], sess(true, null))
  // "auto": Secure attribute follows issecure()
  each(EXPRESS, 'loopback', '127.0.0.1', false, [XFP('https'), HOST('app.example')], sess('auto', null))
  each(EXPRESS, ABSENT, '127.0.0.1', false, [XFP('https'), HOST('app.example')], sess('auto', null))
  each(EXPRESS, ABSENT, '127.0.0.1', false, [XFP('https'), HOST('app.example')], sess(false, null))
  // session on an app whose trust value throws: the error wins
  each(EXPRESS, 'true', '127.0.0.1', false, [XFP('https'), HOST('app.example')], sess(true, null))

  // ---- §3.1 Fastify -----------------------------------------------------------------------------
  // no trustProxy: socket, Host (with port), socket protocol; ips undefined
  each(FASTIFY, ABSENT, '127.0.0.1', false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('app.example:3000')])
  each(FASTIFY, false, '127.0.0.1', false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('app.example:3000')])
  each(FASTIFY, 0, '127.0.0.1', false, [XFF('6.6.6.6'), XFP('https'), XFH('evil.com'), HOST('app.example:3000')])
  // GHSA-444r-cwp2-x5xf: restrictive trust, untrusted direct client spoofs proto/host (<=5.8.2, 4.x)
  each(FASTIFY, '10.0.0.1', '6.6.6.6', false, [XFF('1.1.1.1'), XFP('https'), XFH('evil.com'), HOST('app.example')])
  each(FASTIFY, 1, '6.6.6.6', false, [XFF('1.1.1.1'), XFP('https'), XFH('evil.com'), HOST('app.example')])
  // hop counts: 5.12.1+ fails closed (nothing trusted), <=5.12.0 counts hops
  each(FASTIFY, 2, '127.0.0.1', false, [XFF('6.6.6.6, 1.1.1.1, 2.2.2.2'), XFP('https'), XFH('evil.com'), HOST('app.example')])
  // trustProxy true (5.8.2 returns a null trust fn: no filtering, same result)
  each(FASTIFY, true, '6.6.6.6', false, [XFF('1.1.1.1, 2.2.2.2'), XFP('http, https'), XFH('a.example, evil.com'), HOST('app.example')])
  // ips include the socket, closest first
  each(FASTIFY, 'loopback, uniquelocal', '127.0.0.1', false, [XFF('6.6.6.6, 10.0.0.2'), HOST('app.example')])
  // XFH with port / IPv6 literal: hostname strips port, keeps brackets
  each(FASTIFY, true, '127.0.0.1', false, [XFH('[2001:db8::7]:443'), HOST('app.example')])
  // leading/trailing SP/HTAB of a header line never reach the app: Node's parser strips them
  // (so the CASE value "6.6.6.6\t" arrives as "6.6.6.6"; simulate must strip them too)
  each(FASTIFY, true, '127.0.0.1', false, [XFF('6.6.6.6\t'), HOST('app.example')])
  each([...EXPRESS, ...FASTIFY, ...KOA], true, '127.0.0.1', false, [XFF(' \t6.6.6.6 '), XFP(' https\t'), XFH('\tevil.com '), HOST('  app.example ')])

  // ---- §3.2 Koa ---------------------------------------------------------------------------------
  // proxy true: leftmost XFF entry; maxIpsCount 1: rightmost
  each(KOA, true, '127.0.0.1', false, [XFF('6.6.6.6, 10.0.0.2'), HOST('app.example')])
  each(KOA, true, '127.0.0.1', false, [XFF('6.6.6.6, 10.0.0.2'), HOST('app.example')], { options: { maxIpsCount: 1 } })
  each(KOA, true, '127.0.0.1', false, [XFF('6.6.6.6, 10.0.0.2, 10.0.0.3'), HOST('app.example')], { options: { maxIpsCount: 2 } })
  // no trusted-address check: any peer's headers are used
  each(KOA, true, '6.6.6.6', false, [XFF('1.1.1.1'), XFP('https'), XFH('evil.com'), HOST('app.example')])
  // proxy via the constructor option
  each(KOA, ABSENT, '6.6.6.6', false, [XFF('1.1.1.1'), XFP('https'), XFH('evil.com'), HOST('app.example')], { options: { proxy: true } })
  // empty first entry falls back to the socket; empty entries are kept in ips
  each(KOA, true, '127.0.0.1', false, [XFF(',1.2.3.4'), HOST('app.example')])
  each(KOA, true, '127.0.0.1', false, [XFF('1.1.1.1,,2.2.2.2'), HOST('app.example')])
  // addresses are never validated
  each(KOA, true, '127.0.0.1', false, [XFF('unknown, 1.2.3.4:5'), HOST('app.example')])
  // proxyIpHeader X-Real-IP
  each(KOA, true, '127.0.0.1', false, [XFF('6.6.6.6'), ['X-Real-IP', '203.0.113.7'], HOST('app.example')], { options: { proxyIpHeader: 'X-Real-IP' } })
  each(KOA, true, '127.0.0.1', false, [XFF('6.6.6.6'), HOST('app.example')], { options: { proxyIpHeader: 'X-Real-IP', maxIpsCount: 1 } })
  // userinfo in host is removed via new URL()
  each(KOA, true, '127.0.0.1', false, [XFH('user@evil.com:81'), HOST('app.example')])
  each(KOA, false, '127.0.0.1', false, [HOST('user@app.example')])
  // proxy truthiness: "false" string is truthy, 0 is falsy
  each(KOA, 'false', '127.0.0.1', false, [XFF('6.6.6.6'), XFP('https'), HOST('app.example')])
  each(KOA, 0, '127.0.0.1', false, [XFF('6.6.6.6'), XFP('https'), HOST('app.example')])
  // unterminated IPv6 literal host (Koa 3 rejects invalid characters)
  each(KOA, true, '127.0.0.1', false, [XFH('[::1]/x'), HOST('app.example')])
  each(KOA, true, '127.0.0.1', false, [XFH('[2001:db8::1'), HOST('app.example')])

  return L
}

// ---------------------------------------------------------------------------------------------
// Random cases
// ---------------------------------------------------------------------------------------------

function xmur3 (str) {
  let h = 1779033703 ^ str.length
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353)
    h = (h << 13) | (h >>> 19)
  }
  return function () {
    h = Math.imul(h ^ (h >>> 16), 2246822507)
    h = Math.imul(h ^ (h >>> 13), 3266489909)
    return (h ^= h >>> 16) >>> 0
  }
}

function mulberry32 (a) {
  return function () {
    a |= 0
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function makeRng (seed) {
  const rnd = mulberry32(xmur3('trustcheck:' + String(seed))())
  const r = {
    f: rnd,
    int: (n) => Math.floor(rnd() * n),
    chance: (p) => rnd() < p,
    pick: (arr) => arr[Math.floor(rnd() * arr.length)],
    // weighted: [[w, value], ...]
    wpick: (pairs) => {
      let total = 0
      for (const [w] of pairs) total += w
      let x = rnd() * total
      for (const [w, v] of pairs) {
        if ((x -= w) < 0) return v
      }
      return pairs[pairs.length - 1][1]
    },
    shuffle: (arr) => {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1))
        const t = arr[i]
        arr[i] = arr[j]
        arr[j] = t
      }
      return arr
    }
  }
  return r
}

// Address pools: small, so that trust ranges and hop positions line up often.
const LOOPBACK = ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']
const PRIVATE = ['10.0.0.2', '10.0.0.3', '10.1.2.3', '::ffff:10.0.0.2', '172.16.0.5', '172.31.255.254', '::ffff:172.16.0.5', '192.168.1.10', 'fc00::1', 'fd12::5']
const LINKLOCAL = ['169.254.1.1', 'fe80::1', 'fe80::1%eth0', 'fe80::1%eth1']
const PUBLIC = ['6.6.6.6', '203.0.113.7', '2001:db8::7', '8.8.8.8', '1.1.1.1', '::ffff:6.6.6.6', '2001:db8::1', '1.2.3.4']
const ODD = ['0177.0.0.1', '0x7f.0.0.1', '2130706433', '127.1', '0:0:0:0:0:0:0:1', '::FFFF:127.0.0.1', '::ffff:7f00:1', '08.0.0.1', '0X7f.0.0.1', '00000001::', '127.0.0.01', '::ffff:a00:2', 'FE80::1', '2001:DB8::7']
const INVALID = ['unknown', '1.2.3.4:80', '10.0.0.2:8080', '[::1]', '[::1]:80', '[2001:db8::7]:443', '1.1.1.1 2.2.2.2', '_gateway', 'for=1.2.3.4', '127.0.0.1:3000', 'fe80::1%25eth0', '999.1.1.1', '10.0.0', '']

function randPeer (r) {
  return r.wpick([
    [30, () => r.pick(LOOPBACK)],
    [25, () => r.pick(PRIVATE)],
    [6, () => r.pick(LINKLOCAL)],
    [20, () => r.pick(PUBLIC)],
    [8, () => r.pick(ODD)],
    [4, () => null]
  ])()
}

function randXffEntry (r) {
  return r.wpick([
    [18, () => r.pick(LOOPBACK)],
    [24, () => r.pick(PRIVATE)],
    [4, () => r.pick(LINKLOCAL)],
    [30, () => r.pick(PUBLIC)],
    [8, () => r.pick(ODD)],
    [12, () => r.pick(INVALID)]
  ])()
}

const LIST_SEPS = [[40, ', '], [20, ','], [6, ' , '], [5, ' ,'], [5, ',  '], [5, ',\t'], [3, '\t,'], [4, ', , '], [3, ',,'], [2, ' ']]

function randXffLine (r) {
  if (r.chance(0.04)) return ''
  const n = r.wpick([[30, 1], [35, 2], [22, 3], [13, 4]])
  let s = ''
  for (let i = 0; i < n; i++) {
    if (i > 0) s += r.wpick(LIST_SEPS)
    s += randXffEntry(r)
  }
  if (r.chance(0.05)) s = ', ' + s
  if (r.chance(0.05)) s = s + ','
  return s
}

const PROTO_VALUES = [[30, 'https'], [20, 'http'], [6, 'HTTPS'], [3, 'Https'], [6, 'https, http'], [6, 'http, https'], [3, 'https,http'], [3, ',https'], [3, 'https,'], [4, ''], [2, 'wss'], [2, 'ftp'], [2, 'http , https'], [2, 'https\t'], [2, ' https']]
const HOST_VALUES = [[25, 'evil.com'], [12, 'app.example'], [6, 'a.example:8443'], [5, 'evil.com:99'], [5, '[::1]:8080'], [3, '[::1]'], [4, '[2001:db8::7]:443'], [6, 'x.y.z, a.example'], [4, 'a.example,evil.com'], [3, ',b.com'], [4, ''], [4, 'user@evil.com'], [2, 'user@evil.com:81'], [3, 'a.example:99 , b.example'], [2, '[2001:db8::1'], [2, '[::1]/x'], [3, 'EVIL.COM'], [2, 'evil.com.'], [3, '127.0.0.1:3000'], [2, 'a b.com']]
const HOSTHDR_VALUES = [[40, 'app.example'], [20, 'app.example:3000'], [10, '127.0.0.1:3000'], [8, '[::1]:3000'], [3, '[::1]'], [6, 'localhost'], [4, 'user@app.example'], [3, 'APP.EXAMPLE'], [3, '']]

function caseName (r, name) {
  return r.wpick([[70, name], [20, name.toLowerCase()], [10, name.toUpperCase()]])
}

function lines (r, counts, name, valueFn) {
  const n = r.wpick(counts)
  const out = []
  for (let i = 0; i < n; i++) out.push([caseName(r, name), wireValue(valueFn())])
  return out
}

function randHeaders (r) {
  let hs = []
  hs = hs.concat(lines(r, [[15, 0], [67, 1], [14, 2], [4, 3]], 'X-Forwarded-For', () => randXffLine(r)))
  hs = hs.concat(lines(r, [[35, 0], [55, 1], [10, 2]], 'X-Forwarded-Proto', () => r.wpick(PROTO_VALUES)))
  hs = hs.concat(lines(r, [[40, 0], [50, 1], [10, 2]], 'X-Forwarded-Host', () => r.wpick(HOST_VALUES)))
  hs = hs.concat(lines(r, [[10, 0], [82, 1], [8, 2]], 'Host', () => r.wpick(HOSTHDR_VALUES)))
  hs = hs.concat(lines(r, [[84, 0], [14, 1], [2, 2]], 'X-Real-IP', () => randXffEntry(r)))
  hs = hs.concat(lines(r, [[92, 0], [8, 1]], 'Forwarded', () => r.pick(['for=6.6.6.6;proto=https;host=evil.com', 'for="[2001:db8::7]";proto=https', 'for=unknown'])))
  if (r.chance(0.1)) hs.push(['Accept', '*/*'])
  // keep lines of one name in generation order most of the time, interleave otherwise
  if (r.chance(0.5)) r.shuffle(hs)
  return hs
}

// trust values ---------------------------------------------------------------------------------
const TRUST_ITEMS_VALID = ['loopback', 'uniquelocal', 'linklocal', '127.0.0.1', '127.0.0.1/8', '::1', '::1/128', '10.0.0.0/8', '10.0.0.2', '10.0.0.0/255.0.0.0', '10.0.0.0/255.255.0.0', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10', 'fe80::1%eth0', '::ffff:10.0.0.0/104', '::ffff:10.0.0.0/8', '::ffff:127.0.0.1', '::ffff:0:0/96', '::ffff:0:0/80', '::ffff:0:0/95', '::/1', '2001:db8::/32', '6.6.6.6', '0.0.0.0/1', '128.0.0.0/1', '127.0.0.1/08', '0x0a.0.0.1', '0177.0.0.1', '2130706433', '127.1', '::ffff:7f00:1/104', '203.0.113.0/24', '10.0.0.1/8', '1']
const TRUST_ITEMS_INVALID = ['0.0.0.0/0', '::/0', '10.0.0.0/0.0.0.0', '10.0.0.0/255.0.255.0', '127.0.0.1/33', '::1/129', '10.0.0.1/32/1', '10.0.0.1/ 8', 'LOOPBACK', 'Loopback', 'localhost', 'true', '', 'unknown', '10.0.0.0/-1', '10.0.0.0/x', '[::1]', '10.0.0.1:80', '::1/ffff::']

function trustItem (r) {
  return r.chance(0.94) ? r.pick(TRUST_ITEMS_VALID) : r.pick(TRUST_ITEMS_INVALID)
}

function trustCsv (r) {
  const n = r.wpick([[45, 1], [35, 2], [20, 3]])
  const seps = [[40, ', '], [30, ','], [8, ' , '], [6, ' ,'], [6, ',\t'], [5, ',  '], [5, ',,']]
  let s = ''
  for (let i = 0; i < n; i++) {
    if (i > 0) s += r.wpick(seps)
    s += trustItem(r)
  }
  if (r.chance(0.06)) s += ','
  if (r.chance(0.04)) s = ',' + s
  if (r.chance(0.06)) s = ' ' + s + ' '
  return s
}

function trustList (r) {
  const n = r.wpick([[8, 0], [45, 1], [30, 2], [17, 3]])
  const out = []
  for (let i = 0; i < n; i++) {
    out.push(r.wpick([
      [95, () => trustItem(r)],
      [1, () => trustCsv(r)],
      [1, () => 1],
      [1, () => null],
      [0.5, () => true],
      [0.5, () => ['loopback']],
      [0.5, () => ({})],
      [0.5, () => ' loopback ']
    ])())
  }
  return out
}

function randTrust (r) {
  return r.wpick([
    [7, () => true],
    [4, () => false],
    [3, () => null],
    [5, () => ABSENT],
    [10, () => r.pick([0, 1, 2, 3, 4])],
    [3, () => r.pick([-1, 1.5, 2.5, -0.5, 10])],
    [4, () => r.pick(['0', '1', '2', '3'])],
    [2, () => r.pick(['true', 'false', 'TRUE'])],
    [33, () => trustCsv(r)],
    [14, () => trustList(r)],
    [2, () => ({})],
    [1, () => ''],
    [1, () => r.pick([' ', ',', 'loopback,', ',loopback', 'loopback,,uniquelocal'])]
  ])()
}

function randKoaOptions (r) {
  if (!r.chance(0.55)) return undefined
  const o = {}
  if (r.chance(0.45)) o.proxyIpHeader = r.pick(['X-Forwarded-For', 'X-Real-IP', 'x-real-ip', 'CF-Connecting-IP', 'Forwarded'])
  if (r.chance(0.6)) o.maxIpsCount = r.pick([0, 1, 1, 2, 3, -1])
  if (r.chance(0.2)) o.proxy = r.pick([true, false])
  return Object.keys(o).length ? o : undefined
}

function randCase (r) {
  const [framework, version] = r.pick(TARGETS)
  const extra = {}
  // proxy-addr's compile takes one address/name or a list (it does not split
  // CSV strings), so give it mostly those; the frameworks get every form.
  const trust = framework === 'proxy-addr'
    ? r.wpick([[45, () => trustItem(r)], [40, () => trustList(r)], [5, () => trustCsv(r)], [10, () => randTrust(r)]])()
    : randTrust(r)
  if (framework === 'koa') extra.options = randKoaOptions(r)
  if (framework === 'express' && r.chance(0.35)) {
    extra.session = { cookie_secure: r.pick([true, false, 'auto']), proxy: r.pick([true, false, null]) }
  }
  return mk(framework, version, trust, randPeer(r), r.chance(0.25), randHeaders(r), extra)
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

function parseArgs (argv) {
  const a = {}
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    if (k === '--seed' || k === '--count' || k === '--cases' || k === '--check') a[k.slice(2)] = argv[++i]
    else if (k === '--request-ip') a.requestIP = true
    else if (k === '-h' || k === '--help') a.help = true
    else throw new Error('unknown argument ' + k)
  }
  return a
}

function* generate (seed, count) {
  const hand = handPicked()
  let n = 0
  for (const c of hand) {
    if (n++ >= count) return
    yield c
  }
  const r = makeRng(seed)
  while (n++ < count) yield randCase(r)
}

// request-ip ------------------------------------------------------------------------------------
// getClientIp reads X-Client-IP, the first valid X-Forwarded-For entry, then
// eight more headers in a fixed order, then the socket; each value must pass
// its own is.ip regexes (JS semantics: lookaheads, backreferences, \b).
const RIP_HEADERS = ['X-Client-IP', 'X-Forwarded-For', 'CF-Connecting-IP', 'Fastly-Client-IP', 'True-Client-IP', 'X-Real-IP', 'X-Cluster-Client-IP', 'X-Forwarded', 'Forwarded-For', 'Forwarded', 'X-AppEngine-User-IP', 'Cf-Pseudo-IPv4']
const RIP_ODD6 = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '1::8', '1:2:3:4:5:6::8', '1:2:3:4:5::7:8', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::1', '1:::2', '::ffff:1.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:256.1.1.1', 'fe80::1%eth0', 'FE80::ABCD', 'g::1', '12345::1', '2001:db8::7]', '[2001:db8::7]', '1:2:3:4:5:6:7', '::ffff:01.2.3.4', '::1.2.3', '0:0:0:0:0:0:0:0', 'a:b:c:d:e:f:0:1', '::a:b:c:d:e:f:0', 'a::b:c:d:e:f:0']
const RIP_ODD4 = ['1.2.3.4', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1.2.3.04', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4:80', '1.2.3.4:80:90', '١.2.3.4', '1.2.3.4\n']

function ripValue (r) {
  return r.wpick([
    [20, () => r.pick(PUBLIC)],
    [10, () => r.pick(PRIVATE)],
    [6, () => r.pick(LOOPBACK)],
    [14, () => r.pick(RIP_ODD6)],
    [12, () => r.pick(RIP_ODD4)],
    [10, () => r.pick(INVALID)],
    [6, () => r.pick(ODD)],
    [10, () => randXffLine(r)]
  ])()
}

function randRequestIPCase (r) {
  let hs = []
  for (const name of RIP_HEADERS) {
    const p = name === 'X-Forwarded-For' ? 0.6 : 0.18
    if (r.chance(p)) hs = hs.concat(lines(r, [[85, 1], [15, 2]], name, () => ripValue(r)))
  }
  if (r.chance(0.8)) hs.push(['Host', 'app.example'])
  if (r.chance(0.5)) r.shuffle(hs)
  const peer = r.chance(0.1) ? r.pick(RIP_ODD6.concat(RIP_ODD4, [null])) : randPeer(r)
  return mk('request-ip', '3.3.0', ABSENT, peer, false, hs)
}

function handPickedRequestIP () {
  const rip = (peer, headers) => mk('request-ip', '3.3.0', ABSENT, peer, false, headers)
  const L = []
  L.push(rip('127.0.0.1', [XFF('6.6.6.6, 203.0.113.7')]))
  L.push(rip('127.0.0.1', [['X-Client-IP', '6.6.6.6'], XFF('203.0.113.7')]))
  L.push(rip('127.0.0.1', [['X-Client-IP', 'unknown'], XFF('unknown, 1.2.3.4:80, 203.0.113.7')]))
  L.push(rip('127.0.0.1', [XFF('[2001:db8::7]:443, 203.0.113.7')]))
  L.push(rip('127.0.0.1', [XFF('2001:db8::7, 203.0.113.7')]))
  L.push(rip('127.0.0.1', [['X-Real-IP', '6.6.6.6']]))
  L.push(rip('127.0.0.1', [['CF-Connecting-IP', '6.6.6.6'], ['X-Real-IP', '7.7.7.7']]))
  L.push(rip('127.0.0.1', [['Forwarded', 'for=6.6.6.6'], ['X-Forwarded', '6.6.6.6']]))
  L.push(rip('127.0.0.1', [['Cf-Pseudo-IPv4', '6.6.6.6']]))
  L.push(rip('unknown', [['Cf-Pseudo-IPv4', '6.6.6.6']]))
  L.push(rip(null, []))
  L.push(rip('::ffff:127.0.0.1', []))
  L.push(rip('fe80::1%eth0', []))
  L.push(rip('127.0.0.1', [['X-Client-IP', '6.6.6.6'], ['X-Client-IP', '7.7.7.7']]))
  L.push(rip('127.0.0.1', [XFF('6.6.6.6'), XFF('7.7.7.7')]))
  for (const v of RIP_ODD6.concat(RIP_ODD4, INVALID, ODD)) {
    L.push(rip('10.0.0.2', [['X-Client-IP', v]]))
    L.push(rip('10.0.0.2', [XFF(v)]))
    L.push(rip(v, []))
  }
  return L
}

function* generateRequestIP (seed, count) {
  let n = 0
  for (const c of handPickedRequestIP()) {
    if (n++ >= count) return
    yield c
  }
  const r = makeRng('request-ip:' + seed)
  while (n++ < count) yield randRequestIPCase(r)
}

// JSON with every non-ASCII character escaped (\u2028, U+FEFF, ... stay on one visible line)
function jsonLine (v) {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'))
}

function readCases (file) {
  const text = fs.readFileSync(file === '-' ? 0 : file, 'utf8')
  const out = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const o = JSON.parse(line)
    out.push(o && o.case && typeof o.case === 'object' ? { c: o.case, want: o.want } : { c: o })
  }
  return out
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  if (a.help) {
    process.stdout.write('usage: node gen.js [--request-ip] --seed N --count M | --cases FILE | --check FILE\n')
    return
  }
  const out = []
  if (a.check) {
    let bad = 0
    let total = 0
    for (const { c, want } of readCases(a.check)) {
      total++
      const got = await evaluate(c)
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        bad++
        out.push(jsonLine({ case: c, want, got }))
      }
    }
    process.stdout.write(out.map((l) => l + '\n').join(''))
    process.stderr.write(`${total - bad} passed, ${bad} failed\n`)
    process.exitCode = bad ? 1 : 0
    return
  }
  let cases
  if (a.cases) {
    cases = readCases(a.cases).map((x) => x.c)
  } else {
    const count = a.count === undefined ? handPicked().length : Number(a.count)
    if (!Number.isInteger(count) || count < 0) throw new Error('--count must be a non-negative integer')
    cases = (a.requestIP ? generateRequestIP : generate)(a.seed === undefined ? '1' : String(a.seed), count)
  }
  for (const c of cases) {
    let want
    try {
      want = await evaluate(c)
    } catch (e) {
      want = { error: 'gen.js: ' + e.message }
    }
    out.push(jsonLine({ case: c, want }))
  }
  process.stdout.write(out.map((l) => l + '\n').join(''))
}

module.exports = {
  evaluate,
  generate,
  handPicked,
  handPickedRequestIP,
  makeRng,
  randCase,
  expressFields,
  fastifyFields,
  koaFields,
  proxyAddrFields,
  sessionCookieStatus,
  sessionOptions,
  buildExpress,
  buildFastify,
  buildKoa,
  MODULES,
  TARGETS
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write('gen.js: ' + (e && e.stack ? e.stack : e) + '\n')
    process.exit(2)
  })
}
