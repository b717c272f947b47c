// bench tui: the time of one TUI frame with 1,000 agents in a phase (goal <= 16 ms). A RunView is folded from events
// (../dist/machines/run-view.js); then (1) the view-model functions a frame calls, (2) the real app (startTui) on a
// blessed screen writing to a PassThrough at 120x40, paging through the agents, scrolling a detail; baseline: the same
// visible rows as naive plain strings joined with '\n' into the same blessed box. Also CPU while the TUI sits idle.
import blessed from 'blessed'
import { PassThrough } from 'node:stream'
import { applyEvent, emptyRunView } from '../dist/machines/run-view.js'
import { startTui } from '../dist/tui/app.js'
import { agentDetailLines, phaseAgents, phaseRows, runRows } from '../dist/tui/view-model.js'
import { machine } from './lib.mjs'

const N = Number(process.env.BENCH_AGENTS ?? 1000)
const FRAMES = Number(process.env.BENCH_FRAMES ?? 300)
const COLS = 120
const ROWS = 40
const T0 = 1_700_000_000_000
const zero = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

function buildView() {
  const view = emptyRunView('wf_bench', 'bench')
  const at = (i) => T0 + i * 10
  applyEvent(view, { type: 'run.status', runId: 'wf_bench', status: 'running', at: T0 })
  applyEvent(view, { type: 'run.meta', runId: 'wf_bench', name: 'bench', description: 'tui bench', phases: [{ title: 'Survey' }, { title: 'Work' }], at: T0 })
  for (let i = 0; i < N; i++) {
    const key = `k${i}`
    applyEvent(view, { type: 'agent.queued', key, label: `worker ${i} src/module-${i}.ts`, phase: 'Work', prompt: `Review src/module-${i}.ts for bugs. `.repeat(12), at: at(i) })
  }
  // 60% done, 2% failed, 1% stopped, 16 running with tool calls, the rest queued.
  for (let i = 0; i < N; i++) {
    const key = `k${i}`
    const kind = i < N * 0.6 ? 'done' : i < N * 0.62 ? 'failed' : i < N * 0.63 ? 'stopped' : i < N * 0.63 + 16 ? 'running' : 'queued'
    if (kind === 'queued') continue
    applyEvent(view, { type: 'agent.started', key, attempt: 1, at: at(i) + 5 })
    applyEvent(view, { type: 'agent.session', key, sessionId: `ses_${i}`, at: at(i) + 6 })
    for (let t = 0; t < 6; t++) {
      const call = { id: `c${i}-${t}`, tool: t % 2 ? 'read' : 'grep', status: 'completed', title: `src/module-${i}.ts`, input: JSON.stringify({ filePath: `/repo/src/module-${i}.ts`, offset: t * 100 }), at: at(i) + 7 + t }
      applyEvent(view, { type: 'agent.tool', key, call, at: call.at })
    }
    if (kind !== 'running') {
      applyEvent(view, {
        type: 'agent.finished',
        key,
        status: kind,
        tokens: { ...zero, input: 5000 + i, output: 300 },
        cost: 0.001,
        cached: false,
        error: kind === 'failed' ? 'The model returned an error: rate limited.' : undefined,
        preview: kind === 'done' ? `No bugs found in module ${i}. `.repeat(4) : undefined,
        at: at(i) + 900,
      })
    }
  }
  for (let i = 0; i < 500; i++) applyEvent(view, { type: 'log', message: `progress line ${i}`, at: T0 + i * 100 })
  return view
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return { median: q(0.5), p95: q(0.95), max: s[s.length - 1] }
}

const fmt = (ms) => ms.toFixed(3)

function time(fn, frames = FRAMES) {
  for (let i = 0; i < 20; i++) fn(i) // warm-up
  const out = []
  for (let i = 0; i < frames; i++) {
    const t = performance.now()
    fn(i)
    out.push(performance.now() - t)
  }
  return stats(out)
}

function dummyScreen() {
  const output = new PassThrough()
  output.columns = COLS
  output.rows = ROWS
  output.isTTY = true
  output.resume() // discard what blessed writes
  const input = new PassThrough()
  const screen = blessed.screen({ output, input, terminal: 'xterm-256color', smartCSR: true, warnings: false, autoPadding: false })
  return { screen, output }
}

const key = (name, ch) => ({ name, full: name, sequence: ch ?? '', ctrl: false, meta: false, shift: false })

const view = buildView()
const agents = phaseAgents(view, 'Work', 'all')
const running = agents.find((a) => a.status === 'running')
const height = ROWS - 4

// (1) the view model alone: what one frame on each screen computes.
const vm = time((i) => {
  const offset = (i * height) % Math.max(1, agents.length - height)
  phaseRows(view, 'Work', 'all', T0 + 60_000, { offset, height })
  runRows(view, T0 + 60_000, 20, { offset: 0, height: 10 })
  agentDetailLines(agents[offset], COLS - 1, T0 + 60_000)
})

// (2) the real app on a blessed screen: runs -> run -> phase, then page through 1,000 agents while events arrive.
let now = T0 + 60_000
let live = view
const source = {
  async listRuns() {
    return [{ dir: '/bench/run', id: 'wf_bench', name: 'bench', status: 'running', live: true, startedAt: T0, agents: { done: 600, total: N }, tokens: 1 }]
  },
  watchRun(_dir, onView) {
    onView(live)
    return () => {}
  },
  async control() {},
  async save() {
    return 'saved'
  },
  now: () => now,
}

const { screen } = dummyScreen()
const tui = startTui({ source, screen })
await new Promise((r) => setTimeout(r, 250)) // the runs list loads and is drawn (renders are coalesced to 10/s)
const press = (name, ch) => screen.emit('keypress', ch, key(name, ch))
/** What the app's body box shows now (header is child 0, body child 1): the bench checks it is on the screen it times. */
const shown = () => screen.children.map((c) => c.getContent()).join('\n')
const expectShown = (what, re) => {
  if (!re.test(shown())) throw new Error(`bench tui: expected ${what} on the screen, got:\n${shown().slice(0, 2000)}`)
}
press('enter', '\r') // the run
expectShown('the run screen', /PHASE/)
press('down') // 'Survey' has no agents; 'Work' has them all
press('enter', '\r')
expectShown('the phase screen', /worker 0 src/)

const phaseFrame = time((i) => {
  // One event per frame (a running agent's tokens move), the clock moves, and the page changes: all rows redraw.
  applyEvent(live, { type: 'agent.tool', key: running.key, call: { id: `live-${i}`, tool: 'bash', status: 'running', title: `step ${i}`, at: now }, at: now })
  now += 100
  press(i % 25 === 24 ? 'home' : 'pagedown')
})
expectShown('paged agents', /worker \d+ src/)
press('enter', '\r') // an agent's detail
expectShown('the agent detail', /Prompt:/)
const detailFrame = time((i) => {
  now += 100
  press(i % 2 ? 'k' : 'j')
})
press('escape')

// Baseline: the same 36 visible agents as naive plain strings, joined, into one blessed box on the same kind of screen.
const base = dummyScreen()
const box = blessed.box({ parent: base.screen, top: 1, left: 0, width: '100%', height: ROWS - 3 })
const baseline = time((i) => {
  const offset = ((i % 25) * height) % Math.max(1, agents.length - height)
  now += 100
  const lines = []
  for (let r = offset; r < offset + height && r < agents.length; r++) {
    const a = agents[r]
    lines.push(`${a.label} ${a.status} ${a.tokens.input + a.tokens.output} ${a.startedAt ? Math.round((now - a.startedAt) / 1000) : '-'}s`)
  }
  box.setContent(lines.join('\n'))
  base.screen.render()
})
base.screen.destroy()

// CPU while idle: the app on the phase screen of a live run with no events (1 s clock tick), for 2 s.
const idleStart = process.cpuUsage()
const idleT = performance.now()
await new Promise((r) => setTimeout(r, 2000))
const idleCpu = process.cpuUsage(idleStart)
const idlePct = ((idleCpu.user + idleCpu.system) / 1000 / (performance.now() - idleT)) * 100
await tui.close()
screen.destroy()

console.log(`machine: ${machine()}`)
console.log(`${N} agents in one phase, ${COLS}x${ROWS} screen, ${FRAMES} frames each (median / p95 / max ms)`)
console.log(`view model only (phase rows + run rows + agent detail): ${fmt(vm.median)} / ${fmt(vm.p95)} / ${fmt(vm.max)}`)
console.log(`app frame, phase screen, page + 1 event (view model + blessed render): ${fmt(phaseFrame.median)} / ${fmt(phaseFrame.p95)} / ${fmt(phaseFrame.max)} (goal <= 16)`)
console.log(`app frame, agent detail scroll: ${fmt(detailFrame.median)} / ${fmt(detailFrame.p95)} / ${fmt(detailFrame.max)}`)
console.log(`baseline (plain strings joined, same blessed box render): ${fmt(baseline.median)} / ${fmt(baseline.p95)} / ${fmt(baseline.max)}`)
console.log(`idle CPU on a live run (1 s clock tick): ${idlePct.toFixed(2)}% of one core`)
console.log(`bench tui: frame_ms ${fmt(phaseFrame.median)} (p95 ${fmt(phaseFrame.p95)}, baseline ${fmt(baseline.median)} ms, ratio ${(phaseFrame.median / baseline.median).toFixed(2)})`)
process.exit(0)
