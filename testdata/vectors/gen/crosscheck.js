#!/usr/bin/env node
// Cross-checks gen.js's in-process evaluation against real HTTP(S) servers on
// loopback: every selected case is sent as raw bytes over a real TCP (or TLS)
// connection to the same app configuration, and what the app computed on the
// real socket is compared with what gen.js records for that case.
//
//   node crosscheck.js [--seed N] [--random M]
//
// Hand-picked cases plus M random ones (default 1500). The peer must be a real
// loopback address, so each case's peer is replaced by one this machine can
// produce: 127.0.0.1 (IPv4 listener), ::ffff:127.0.0.1 (dual-stack listener,
// IPv4 client) or ::1. Cases with a destroyed socket (peer null) or a trust
// value the framework rejects at start-up are skipped. Needs `openssl` for the
// TLS certificate. Talks to 127.0.0.1/::1 only.
'use strict'

process.noDeprecation = true

const fs = require('fs')
const os = require('os')
const path = require('path')
const net = require('net')
const tls = require('tls')
const http = require('http')
const https = require('https')
const { execFileSync } = require('child_process')
const gen = require('./gen.js')

const REAL_PEERS = ['127.0.0.1', '::ffff:127.0.0.1', '::1']

function makeCert () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-xcheck-'))
  const key = path.join(dir, 'key.pem')
  const cert = path.join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  const out = { key: fs.readFileSync(key), cert: fs.readFileSync(cert) }
  fs.rmSync(dir, { recursive: true, force: true })
  return out
}

function listen (server, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve(server.address().port))
  })
}

function close (server) {
  return new Promise((resolve) => {
    if (server.closeAllConnections) server.closeAllConnections()
    server.close(() => resolve())
  })
}

// Builds one real server for the case's configuration; returns {port, close}.
async function startServer (c, creds, host) {
  const useTls = !!c.tls
  switch (c.framework) {
    case 'express': {
      const app = gen.buildExpress(c.version, c)
      const srv = useTls ? https.createServer(creds, app) : http.createServer(app)
      const port = await listen(srv, host)
      return { port, close: () => close(srv) }
    }
    case 'koa': {
      const app = gen.buildKoa(c.version, c)
      const cb = app.callback()
      const srv = useTls ? https.createServer(creds, cb) : http.createServer(cb)
      const port = await listen(srv, host)
      return { port, close: () => close(srv) }
    }
    case 'fastify': {
      // Fastify creates and owns its server (https option for TLS), as in production.
      const f = gen.buildFastify(c.version, c, useTls ? { https: creds } : {})
      await f.listen({ port: 0, host })
      const port = f.server.address().port
      return { port, close: () => { if (f.server.closeAllConnections) f.server.closeAllConnections(); return f.close() } }
    }
    case 'proxy-addr': {
      const pa = require(gen.MODULES['proxy-addr'][c.version])
      const fn = pa.compile(c.trust_proxy)
      const handler = (req, res) => {
        const o = gen.proxyAddrFields(pa, fn, req)
        res.setHeader('Content-Type', 'application/json')
        res.end(JSON.stringify(o))
      }
      const srv = useTls ? https.createServer(creds, handler) : http.createServer(handler)
      const port = await listen(srv, host)
      return { port, close: () => close(srv) }
    }
  }
}

function rawRequest (c) {
  const hasHost = c.headers.some(([n]) => n.toLowerCase() === 'host')
  let s = 'GET / HTTP/1.' + (hasHost ? '1' : '0') + '\r\n'
  for (const [n, v] of c.headers) s += n + ': ' + v + '\r\n'
  s += 'Connection: close\r\n\r\n'
  return s
}

function parseResponse (buf) {
  const text = buf.toString('latin1')
  const i = text.indexOf('\r\n\r\n')
  const head = text.slice(0, i).split('\r\n')
  let body = text.slice(i + 4)
  const status = Number(head[0].split(' ')[1])
  const headers = []
  for (const l of head.slice(1)) {
    const k = l.indexOf(':')
    headers.push([l.slice(0, k).toLowerCase(), l.slice(k + 1).trim()])
  }
  if (headers.some(([n, v]) => n === 'transfer-encoding' && /chunked/i.test(v))) {
    let out = ''
    let rest = body
    for (;;) {
      const j = rest.indexOf('\r\n')
      const len = parseInt(rest.slice(0, j), 16)
      if (!len) break
      out += rest.slice(j + 2, j + 2 + len)
      rest = rest.slice(j + 2 + len + 2)
    }
    body = out
  }
  return { status, headers, body: Buffer.from(body, 'latin1').toString('utf8') }
}

function send (connectHost, port, c) {
  return new Promise((resolve, reject) => {
    const chunks = []
    const opts = { host: connectHost, port }
    const sock = c.tls
      ? tls.connect(Object.assign(opts, { rejectUnauthorized: false, servername: 'localhost' }))
      : net.connect(opts)
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')))
    sock.once(c.tls ? 'secureConnect' : 'connect', () => sock.write(rawRequest(c)))
    sock.on('data', (d) => chunks.push(d))
    sock.on('error', reject)
    sock.on('close', () => resolve(parseResponse(Buffer.concat(chunks))))
  })
}

function parseArgs (argv) {
  const a = { seed: '1', random: 1500 }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seed') a.seed = argv[++i]
    else if (argv[i] === '--random') a.random = Number(argv[++i])
    else throw new Error('unknown argument ' + argv[i])
  }
  return a
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const creds = makeCert()
  const hand = gen.handPicked()
  const all = [...gen.generate(a.seed, hand.length + a.random)]
  const selected = []
  let k = 0
  for (const c0 of all) {
    if (c0.peer === null) continue
    const c = JSON.parse(JSON.stringify(c0))
    if (!REAL_PEERS.includes(c.peer)) c.peer = REAL_PEERS[k++ % REAL_PEERS.length]
    const want = await gen.evaluate(c)
    if (want.error) continue // start-up error: no server to ask
    selected.push({ c, want })
  }
  // group by server configuration
  const groups = new Map()
  for (const x of selected) {
    const { c } = x
    const key = JSON.stringify([c.framework, c.version, 'trust_proxy' in c ? c.trust_proxy : '<absent>', c.options || null, c.session || null, c.tls,
      c.peer === '127.0.0.1' ? 'v4' : 'dual'])
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key).push(x)
  }
  let pass = 0
  let fail = 0
  const perTarget = {}
  for (const list of groups.values()) {
    const c0 = list[0].c
    const v4 = c0.peer === '127.0.0.1'
    const srv = await startServer(c0, creds, v4 ? '127.0.0.1' : '::')
    try {
      for (const { c, want } of list) {
        const connectHost = c.peer === '::1' ? '::1' : '127.0.0.1'
        const res = await send(connectHost, srv.port, c)
        let got
        if (res.status !== 200) {
          got = { error: 'HTTP ' + res.status + ' ' + res.body.slice(0, 200) }
        } else {
          got = JSON.parse(res.body)
          if (c.session) {
            got.session_cookie = gen.sessionCookieStatus(res.headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v))
          }
        }
        const t = c.framework + '@' + c.version
        perTarget[t] = (perTarget[t] || 0) + 1
        if (c.tls) perTarget.tls = (perTarget.tls || 0) + 1
        if (c.session) perTarget.session = (perTarget.session || 0) + 1
        if (!c.headers.some(([n]) => n.toLowerCase() === 'host')) perTarget.http10 = (perTarget.http10 || 0) + 1
        perTarget['peer ' + c.peer] = (perTarget['peer ' + c.peer] || 0) + 1
        if (JSON.stringify(got) === JSON.stringify(want)) {
          pass++
        } else {
          fail++
          process.stdout.write(JSON.stringify({ case: c, want, real: got }) + '\n')
        }
      }
    } finally {
      await srv.close()
    }
  }
  process.stderr.write('per target: ' + JSON.stringify(perTarget) + '\n')
  process.stderr.write(`${pass} passed, ${fail} failed\n`)
  process.exitCode = fail ? 1 : 0
}

main().catch((e) => {
  process.stderr.write('crosscheck.js: ' + (e && e.stack ? e.stack : e) + '\n')
  process.exit(2)
})
