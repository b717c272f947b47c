// The JavaScript that runs inside the QuickJS sandbox before the script: it defines the script's globals (agent,
// parallel, pipeline, phase, log, args, budget, workflow, console) and the ocdw standard library (vote, review, gate)
// on top of a private `host` object whose functions the sandbox (src/script/sandbox.ts) implements. Values cross
// the boundary as JSON strings only. It also makes the clock and Math.random throw: resume replays the script, so
// a script must behave the same every time it runs.
//
// Evaluated as one function expression `(function (host, argsJson) {...})`; it returns `start(main)`, which runs
// the script's body and reports its result (or error) to the host. No global named `host` is ever created.

export const PRELUDE_FILENAME = 'ocdw-prelude.js'

export const PRELUDE_SOURCE = String.raw`(function (host, argsJson) {
  'use strict'
  const G = globalThis
  // Strings cross to the host JSON-encoded: the host reads a string as a C string, which would end at a NUL.
  const rawHost = host
  host = {}
  for (const k of Object.keys(rawHost)) {
    const f = rawHost[k]
    host[k] = (...a) => f(...a.map((x) => (x === undefined ? undefined : JSON.stringify(String(x)))))
  }
  const unwrap = (text) => JSON.parse(text).v
  const describe = (e) => (e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e))
  // A refusal by the budget or the agent cap: the host has said why once already, so a slot it empties says nothing.
  const refused = (e) => Boolean(e && e.name === 'AgentRefusedError')
  const define = (name, value) => Object.defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false })

  // ---- determinism ----------------------------------------------------------------------------------------
  const REPLAY = ' is disabled in workflow scripts: resume replays the script from the top and must see the same values every time. Pass such values in through args instead.'
  const RealDate = Date
  function SandboxDate(...a) {
    if (!new.target) throw new Error('Date()' + REPLAY)
    if (a.length === 0) throw new Error('new Date() without arguments' + REPLAY)
    return Reflect.construct(RealDate, a, new.target)
  }
  SandboxDate.prototype = RealDate.prototype
  Object.defineProperty(RealDate.prototype, 'constructor', { value: SandboxDate, writable: true, configurable: true })
  SandboxDate.parse = RealDate.parse
  SandboxDate.UTC = RealDate.UTC
  SandboxDate.now = function now() { throw new Error('Date.now()' + REPLAY) }
  define('Date', SandboxDate)
  Math.random = function random() { throw new Error('Math.random()' + REPLAY) }

  // ---- binary memory ------------------------------------------------------------------------------------------
  // QuickJS's heap limit does not stop ArrayBuffer storage, so every way to allocate one asks the host first
  // (host.reserve fails the run when the bytes would pass the memory limit).
  const reserve = (n) => { n = Number(n); if (n > 0 && host.reserve(n) !== 'ok') throw new RangeError('out of memory') }
  const RealArrayBuffer = G.ArrayBuffer
  const RealSharedArrayBuffer = G.SharedArrayBuffer || function () {}
  const guardCtor = (name, bytesOf) => {
    const Real = G[name]
    if (typeof Real !== 'function') return
    const Guarded = function (...a) {
      if (!new.target) throw new TypeError('Constructor ' + name + ' requires new')
      reserve(bytesOf(a, Real))
      return Reflect.construct(Real, a, new.target === Guarded ? Real : new.target)
    }
    Object.setPrototypeOf(Guarded, Real)
    Object.defineProperty(Guarded, 'name', { value: name })
    Guarded.prototype = Real.prototype
    Object.defineProperty(Real.prototype, 'constructor', { value: Guarded, writable: true, configurable: true })
    define(name, Guarded)
  }
  const guardMethod = (proto, name, bytesOf) => {
    const real = proto && proto[name]
    if (typeof real !== 'function') return
    Object.defineProperty(proto, name, { value: function (...a) { reserve(bytesOf(this, a)); return real.apply(this, a) }, writable: true, configurable: true })
  }
  const sizeArg = (a) => Math.max(Number(a[0]) || 0, Number(a[1] && a[1].maxByteLength) || 0)
  guardCtor('ArrayBuffer', sizeArg)
  guardCtor('SharedArrayBuffer', sizeArg)
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    guardCtor(name, (a, Real) => {
      const x = a[0]
      const n = typeof x === 'object' && x !== null ? (x instanceof RealArrayBuffer || x instanceof RealSharedArrayBuffer ? 0 : Number(x.length) || 0) : Number(x) || 0
      return n * Real.BYTES_PER_ELEMENT
    })
  }
  for (const P of [RealArrayBuffer.prototype, G.SharedArrayBuffer && G.SharedArrayBuffer.prototype]) {
    guardMethod(P, 'slice', (self) => self.byteLength)
    guardMethod(P, 'resize', (self, a) => a[0])
    guardMethod(P, 'grow', (self, a) => a[0])
    guardMethod(P, 'transfer', (self, a) => (a[0] === undefined ? self.byteLength : a[0]))
    guardMethod(P, 'transferToFixedLength', (self, a) => (a[0] === undefined ? self.byteLength : a[0]))
  }
  const TypedArrayProto = Object.getPrototypeOf(Int8Array.prototype)
  for (const m of ['slice', 'map', 'filter', 'toReversed', 'toSorted', 'with']) guardMethod(TypedArrayProto, m, (self) => self.byteLength)

  // ---- core API ---------------------------------------------------------------------------------------------
  function agent(prompt, opts) {
    if (typeof prompt !== 'string') throw new TypeError('agent(prompt, opts) needs the prompt as a string, but got ' + (prompt === null ? 'null' : typeof prompt) + '.')
    if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts))) {
      throw new TypeError('agent(prompt, opts): opts must be an object like { label, phase, schema, model }, but got ' + (Array.isArray(opts) ? 'an array' : typeof opts) + '.')
    }
    let optsJson
    try { optsJson = JSON.stringify(opts ?? {}) } catch (e) { throw new TypeError('agent() options must be plain JSON data (' + describe(e) + ').') }
    const r = host.agent(prompt, optsJson)
    if (typeof r === 'string') throw new TypeError(r)
    return r.then(unwrap)
  }

  function toArray(what, items) {
    if (items == null || typeof items[Symbol.iterator] !== 'function') throw new TypeError(what + ' needs an array, but got ' + (items === null ? 'null' : typeof items) + '.')
    return Array.from(items)
  }
  // Claude Code's limit on one fan-out: more items than this is an error, not a silent truncation.
  const MAX_ITEMS = 4096
  function fanOut(what, items) {
    const list = toArray(what, items)
    if (list.length > MAX_ITEMS) throw new RangeError(what + ' got ' + list.length + ' items, over the limit of ' + MAX_ITEMS + '; split the work into batches of at most ' + MAX_ITEMS + '.')
    return list
  }

  async function parallel(thunks) {
    const list = fanOut('parallel(thunks)', thunks)
    return Promise.all(list.map(async (t, i) => {
      try {
        return await (typeof t === 'function' ? t() : t)
      } catch (e) {
        if (!refused(e)) host.log('parallel: item ' + i + ' failed and is null: ' + describe(e))
        return null
      }
    }))
  }

  async function pipeline(items, ...stages) {
    const list = fanOut('pipeline(items, ...stages)', items)
    stages.forEach((s, i) => { if (typeof s !== 'function') throw new TypeError('pipeline(): stage ' + (i + 1) + ' is not a function; each stage is (prev, item, index) => value.') })
    return Promise.all(list.map(async (item, index) => {
      let prev = item
      for (let s = 0; s < stages.length; s++) {
        try {
          prev = await stages[s](prev, item, index)
        } catch (e) {
          if (!refused(e)) host.log('pipeline: item ' + index + ' failed at stage ' + (s + 1) + ' and is null: ' + describe(e))
          return null
        }
      }
      return prev
    }))
  }

  function phase(title) {
    if (typeof title !== 'string' || !title.trim()) throw new TypeError('phase(title) needs a non-empty string title.')
    host.phase(title)
  }

  function show(v) {
    if (typeof v === 'string') return v
    if (v && typeof v === 'object' && !(v instanceof Error)) { try { return JSON.stringify(v) } catch (e) { return String(v) } }
    return String(v)
  }
  function log(message) { host.log(String(message)) }
  const consoleLog = (...a) => host.log(a.map(show).join(' '))
  const console = { log: consoleLog, info: consoleLog, warn: consoleLog, error: consoleLog, debug: consoleLog }

  const budget = Object.freeze({
    get total() { return JSON.parse(host.budget()).total },
    spent() { return JSON.parse(host.budget()).spent },
    // Claude Code: unbounded (Infinity) when the run has no budget, so a loop on budget.remaining() > 0 needs no guard.
    remaining() { const b = JSON.parse(host.budget()); return b.total == null ? Infinity : Math.max(0, b.total - b.spent) },
  })

  function nestedWorkflow() {
    throw new Error('workflow() cannot be called inside a sub-workflow: sub-workflows run one level deep. Call both workflows from the top-level script instead.')
  }
  async function workflow(nameOrRef, wargs) {
    // Claude Code's reference form { scriptPath } names a script file instead of a saved workflow.
    if (nameOrRef && typeof nameOrRef === 'object' && typeof nameOrRef.scriptPath === 'string' && nameOrRef.scriptPath) nameOrRef = nameOrRef.scriptPath
    if (typeof nameOrRef !== 'string' || !nameOrRef) throw new TypeError('workflow(nameOrRef, args) needs the workflow name as a string, or { scriptPath } naming a script file.')
    const copy = wargs === undefined ? undefined : JSON.parse(JSON.stringify(wargs))
    const body = await host.workflow(nameOrRef)
    return body(copy, nestedWorkflow)
  }

  // ---- standard library: vote, review, gate ------------------------------------------------------------------
  const pass = (o) => { const r = {}; for (const k of ['phase', 'model', 'effort', 'agentType', 'timeoutMs']) if (o && o[k] !== undefined) r[k] = o[k]; return r }
  const canon = (v) => {
    if (typeof v === 'string') return v.trim().toLowerCase()
    const sort = (x) => Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.keys(x).sort().reduce((o, k) => (o[k] = sort(x[k]), o), {}) : x
    return JSON.stringify(sort(v))
  }
  const ANSWER = { type: 'object', properties: { answer: { type: 'string' }, reason: { type: 'string' } }, required: ['answer'] }

  async function vote(question, opts) {
    if (typeof question !== 'string') throw new TypeError('vote(question, opts) needs the question as a string.')
    const o = opts || {}
    const voters = o.voters ?? 3
    if (!Number.isInteger(voters) || voters < 1) throw new TypeError('vote(): voters must be a whole number of at least 1.')
    const critic = o.critic ?? true
    const schema = o.schema ?? ANSWER
    const prompt = 'Answer this question on your own, independently of any other answer. Investigate as needed, then give your single best answer.\n\nQuestion: ' + question
    const raw = await parallel(Array.from({ length: voters }, (_, i) => () => agent(prompt, { ...pass(o), schema, label: (o.label ?? 'vote') + ' ' + (i + 1) + '/' + voters })))
    const votes = raw.map((v) => (o.schema || v === null || typeof v !== 'object' ? v : v.answer)).filter((v) => v != null)
    if (!votes.length) { host.log('vote: every voter failed; the answer is null.'); return { answer: null, votes: [], decidedBy: 'none' } }
    const tally = new Map()
    votes.forEach((v) => { const k = canon(v); const t = tally.get(k); if (t) t.count++; else tally.set(k, { answer: v, count: 1 }) })
    const ranked = Array.from(tally.values()).sort((a, b) => b.count - a.count)
    if (ranked[0].count * 2 > votes.length) return { answer: ranked[0].answer, votes, decidedBy: 'majority' }
    if (critic) {
      const options = ranked.map((r, i) => i + ': ' + JSON.stringify(r.answer) + ' (' + r.count + ' vote' + (r.count > 1 ? 's' : '') + ')').join('\n')
      // A critic refused by the budget or the cap throws like any agent(): the plurality answer stands then.
      const pick = await agent('Several independent answers to a question disagree. Check the evidence yourself and choose the correct answer by its number.\n\nQuestion: ' + question + '\n\nAnswers:\n' + options,
        { ...pass(o), label: (o.label ?? 'vote') + ' critic', schema: { type: 'object', properties: { choice: { type: 'integer' }, reason: { type: 'string' } }, required: ['choice'] } })
        .catch((e) => { host.log('vote: the critic could not run: ' + describe(e)); return null })
      if (pick && Number.isInteger(pick.choice) && ranked[pick.choice]) return { answer: ranked[pick.choice].answer, votes, decidedBy: 'critic' }
      host.log('vote: the critic gave no usable choice; the most frequent answer wins.')
    }
    return { answer: ranked[0].answer, votes, decidedBy: 'plurality' }
  }

  async function review(findings, opts) {
    let alive = toArray('review(findings, opts)', findings)
    const o = opts || {}
    const rounds = o.rounds ?? 1
    if (!Number.isInteger(rounds) || rounds < 1) throw new TypeError('review(): rounds must be a whole number of at least 1.')
    const VERDICT = { type: 'object', properties: { refuted: { type: 'boolean' }, reason: { type: 'string' } }, required: ['refuted', 'reason'] }
    for (let round = 1; round <= rounds && alive.length; round++) {
      const verdicts = await parallel(alive.map((f, i) => () => agent(
        'You are an adversarial reviewer. Try hard to refute the finding below: check the actual code, data or sources. Set refuted to true only if you found concrete evidence that it is wrong; otherwise false.' +
        (o.context ? '\n\nContext: ' + o.context : '') + '\n\nFinding: ' + (typeof f === 'string' ? f : JSON.stringify(f)),
        { ...pass(o), schema: VERDICT, label: (o.label ?? 'review') + ' r' + round + ' #' + (i + 1) })))
      const before = alive.length
      alive = alive.filter((_, i) => !(verdicts[i] && verdicts[i].refuted === true))
      host.log('review round ' + round + ': ' + (before - alive.length) + ' of ' + before + ' findings refuted.')
    }
    return alive
  }

  async function gate(command, opts) {
    if (typeof command !== 'string' || !command.trim()) throw new TypeError('gate(command, opts) needs the shell command as a string.')
    return host.gate(command, JSON.stringify(opts ?? {})).then(unwrap)
  }

  const api = { agent, parallel, pipeline, phase, log, budget, workflow, console, vote, review, gate, args: argsJson === undefined ? undefined : JSON.parse(argsJson) }
  for (const k of Object.keys(api)) define(k, api[k])

  // ---- run the script -----------------------------------------------------------------------------------------
  return function start(main) {
    main().then((value) => {
      let text
      try { text = JSON.stringify({ v: value === undefined ? null : value }) } catch (e) {
        host.fail('TypeError', "The script's result is not JSON-serialisable (" + describe(e) + '); return plain data (objects, arrays, strings, numbers, booleans, null).', '')
        return
      }
      host.done(text)
    }, (e) => {
      if (e instanceof Error) host.fail(String(e.name), String(e.message), String(e.stack ?? ''))
      else host.fail('', 'The script threw a value that is not an Error: ' + show(e), '')
    })
  }
})`
