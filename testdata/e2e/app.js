#!/usr/bin/env node
// The end-to-end suite's app server (e2e/e2e_test.go): one real Express,
// Fastify or Koa app, configured with the trust setting trustcheck read from
// the fixture, that answers every request with what the framework resolves:
// {"ip", "ips", "protocol", "secure", "host", "hostname"} as JSON (undefined
// becomes null).
//
//   node app.js FRAMEWORK VERSION TRUST_JSON OPTIONS_JSON LISTEN [CLIENT_IP_FROM]
//
// CLIENT_IP_FROM is trustcheck.yaml's client_ip_from: "framework" (the
// default) or "request-ip", an app that takes its client address from the
// real npm package's getClientIp(req) instead of the framework (then "ip" is
// that address and "ips" null: the app reads no list).
//
// LISTEN is host:port, [v6]:port, :port (every address) or unix:PATH. TRUST_JSON
// is "<absent>" when the app sets no trust at all. It prints "ready" on
// stdout once listening. The modules come from ../vectors/gen/node_modules
// (installed there by `npm ci`); no dependencies of its own.
'use strict'

process.noDeprecation = true // Express 4's req.host is a depd-deprecated alias

const path = require('path')
const MODULES = {
  express: { 4: 'express4', 5: 'express5' },
  fastify: { 4: 'fastify4', 5: 'fastify5' },
  koa: { 2: 'koa2', 3: 'koa3' }
}
const [framework, version, trustArg, optionsArg, listen, clientIPFrom = 'framework'] = process.argv.slice(2)
const mod = MODULES[framework] && MODULES[framework][String(version).split('.')[0]]
if (!mod) {
  console.error(`app.js: no module for ${framework} ${version}`)
  process.exit(2)
}
const modulePath = (name) => path.join(__dirname, '..', 'vectors', 'gen', 'node_modules', name)
const load = () => require(modulePath(mod))
if (clientIPFrom !== 'framework' && clientIPFrom !== 'request-ip') {
  console.error(`app.js: client_ip_from ${clientIPFrom}: only framework and request-ip are real packages`)
  process.exit(2)
}
const requestIp = clientIPFrom === 'request-ip' ? require(modulePath('request-ip')) : null
const hasTrust = trustArg !== '<absent>'
const trust = hasTrust ? JSON.parse(trustArg) : undefined
const options = optionsArg ? JSON.parse(optionsArg) || {} : {}

const nul = (v) => (v === undefined ? null : v)
// result is the answer; raw is Node's request, for an app that reads its
// client address itself.
function result (o, raw) {
  if (requestIp) Object.assign(o, { ip: requestIp.getClientIp(raw), ips: undefined })
  const out = {}
  for (const k of ['ip', 'ips', 'protocol', 'secure', 'host', 'hostname']) {
    const v = o[k]
    out[k] = Array.isArray(v) ? v.map(nul) : nul(v)
  }
  return JSON.stringify(out)
}

let server
switch (framework) {
  case 'express': {
    const app = load()()
    if (hasTrust) app.set('trust proxy', trust)
    app.use((req, res) => {
      res.setHeader('Content-Type', 'application/json')
      res.end(result({ ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure, host: req.host, hostname: req.hostname }, req))
    })
    server = require('http').createServer(app)
    break
  }
  case 'koa': {
    const Koa = load()
    const app = new Koa(options)
    if (hasTrust) app.proxy = trust
    app.use((ctx) => {
      ctx.type = 'application/json'
      ctx.body = result({ ip: ctx.ip, ips: ctx.ips, protocol: ctx.protocol, secure: ctx.secure, host: ctx.host, hostname: ctx.hostname }, ctx.req)
    })
    server = require('http').createServer(app.callback())
    break
  }
  case 'fastify': {
    const Fastify = load()
    const opts = Object.assign({ logger: false }, options, {
      serverFactory: (handler) => { server = require('http').createServer(handler); return server }
    })
    if (hasTrust) opts.trustProxy = trust
    const f = Fastify(opts)
    f.all('/*', (request, reply) => {
      const protocol = request.protocol // Fastify has no request.secure
      reply.header('Content-Type', 'application/json').send(result({
        ip: request.ip, ips: request.ips, protocol, secure: protocol === 'https', host: request.host, hostname: request.hostname
      }, request.raw))
    })
    f.ready().then(() => start(), (e) => { console.error(e); process.exit(2) })
    break
  }
}

// The first LISTEN is the app's own; further comma-separated ones are other
// upstreams of the same nginx config, served by the same app.
function start () {
  const all = listen.split(',')
  let pending = all.length
  const ready = () => { if (--pending === 0) process.stdout.write('ready\n') }
  all.forEach((l, n) => {
    const srv = n === 0 ? server : require('http').createServer(server.listeners('request')[0])
    if (l.startsWith('unix:')) {
      require('fs').rmSync(l.slice(5), { force: true })
      return srv.listen(l.slice(5), ready)
    }
    const i = l.lastIndexOf(':')
    let host = l.slice(0, i)
    const port = Number(l.slice(i + 1))
    if (host.startsWith('[')) host = host.slice(1, -1)
    if (host === '' || host === '*') srv.listen(port, ready)
    else srv.listen(port, host, ready)
  })
}
if (framework !== 'fastify') start()
process.on('SIGTERM', () => process.exit(0))
