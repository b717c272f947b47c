// trial:crash: a 40-agent run on the real `opencode serve` + offline model (with latency) is killed with SIGKILL, then
// `ocdw resume`d; 10 trials (TRIALS=n), rotating three kinds: killed at a random moment; killed while its gate() runs;
// killed at a random moment and then killed again while the resume's restored (in-flight) agents run, then resumed
// again. Each trial must complete, never ask the model again for an agent the journal held at a kill, ask each agent
// at most once more per kill it was in flight for, and return the same result as an uninterrupted run (the baseline).
// At the end no process started by a trial and no temp OpenCode home may be left (TMPDIR points into the trial's own dir).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { machine } from './lib.mjs'

const BIN = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../bin/ocdw.js')
const TRIALS = Number(process.env.TRIALS ?? 10)
const AGENTS = 40
const root = mkdtempSync(join(tmpdir(), 'ocdw-crash-'))
const rules = join(root, 'rules.json')
const trialTmp = join(root, 'tmp')
mkdirSync(trialTmp)
writeFileSync(rules, JSON.stringify({ latencyMs: 250, rules: [] }))
const script = `export const meta = { name: 'crash-trial', phases: [{ title: 'Ask' }, { title: 'Check' }] }
phase('Ask')
const answers = await parallel(Array.from({ length: ${AGENTS / 2} }, (_, i) => () => agent('trial question ' + i, { label: 'q' + i })))
await gate('sleep 2')
const checks = await pipeline(answers, (a, _item, i) => agent('trial check ' + i + ': ' + a, { label: 'c' + i, phase: 'Check' }))
return checks.map((c) => (c === null ? null : c.length))
`

// Seeded so a failing trial can be replayed with the same kill moments.
let seed = Number(process.env.SEED ?? 42)
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)

function sandbox(name) {
  const dir = join(root, name)
  const project = join(dir, 'project')
  const home = join(dir, 'home')
  mkdirSync(project, { recursive: true })
  mkdirSync(home, { recursive: true })
  writeFileSync(join(project, 'trial.js'), script)
  const log = join(dir, 'model.log')
  const env = { ...process.env, OCDW_TRIAL_ROOT: root, TMPDIR: trialTmp, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_STATE_HOME: join(home, '.local/state'), XDG_CACHE_HOME: join(home, '.cache'), OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_LOG: log }
  return { project, env, log }
}

const ARGS = ['run', '--script', 'trial.js', '--offline', '--yes', '--json', '--concurrency', '4']
const journalOf = (runDir) => (existsSync(join(runDir, 'journal.jsonl')) ? readFileSync(join(runDir, 'journal.jsonl'), 'utf8') : '').split('\n').filter(Boolean).flatMap((l) => { try { return [JSON.parse(l)] } catch { return [] } })
const asked = (log) => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind !== 'title')

const t0 = performance.now()
const base = sandbox('baseline')
const baseRun = spawnSync(process.execPath, [BIN, ...ARGS], { cwd: base.project, env: base.env, encoding: 'utf8' })
if (baseRun.status !== 0) throw new Error(`the uninterrupted run failed:\n${baseRun.stderr}`)
const baseline = JSON.parse(baseRun.stdout)
const baselineMs = performance.now() - t0
console.log(`baseline: ${baseline.status}, ${baseline.agents.done} agents, ${(baselineMs / 1000).toFixed(1)} s`)

const KINDS = ['random moment', 'during the gate', 'again during restored agents']
const runIdIn = (project) => {
  const runs = join(project, '.opencode/workflows/runs')
  return existsSync(runs) ? readdirSync(runs)[0] : undefined
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function until(probe, timeoutMs) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (probe()) return true
    await sleep(50)
  }
  return false
}
async function killGroup(child) {
  try { process.kill(-child.pid, 'SIGKILL') } catch { /* already ended */ }
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', r)))
}

let passed = 0
const resumeMs = []
for (let t = 1; t <= TRIALS; t++) {
  const kind = KINDS[(t - 1) % KINDS.length]
  const sb = sandbox(`trial-${t}`)
  const child = spawn(process.execPath, [BIN, ...ARGS], { cwd: sb.project, env: sb.env, detached: true, stdio: 'ignore' })
  let killAt
  if (kind === 'during the gate') {
    // All questions journaled and no check started yet: the gate is running.
    await until(() => {
      const id = runIdIn(sb.project)
      if (!id) return false
      const j = journalOf(join(sb.project, '.opencode/workflows/runs', id))
      return j.filter((e) => e.t === 'agent.done').length >= AGENTS / 2
    }, baselineMs * 3)
    killAt = 'gate'
  } else {
    // A random moment of the run itself: on a loaded machine starting OpenCode alone can outlast a fixed delay, and a
    // kill before the run exists tests nothing.
    await until(() => runIdIn(sb.project), baselineMs * 3)
    // Within the first 60% of the uninterrupted run's time (which includes starting OpenCode): agents in flight.
    killAt = random() * Math.max(1000, baselineMs * 0.6)
    await sleep(killAt)
  }
  await killGroup(child)
  const id = runIdIn(sb.project)
  if (!id) { console.log(`trial ${t} (${kind}): FAILED (the run never started within ${((baselineMs * 3) / 1000).toFixed(0)} s)`); continue }
  const runDir = join(sb.project, '.opencode/workflows/runs', id)
  // What the journal held at each kill, and how many model requests had been made by then.
  const kills = [{ done: new Set(journalOf(runDir).filter((e) => e.t === 'agent.done').map((e) => e.key)), asked: existsSync(sb.log) ? asked(sb.log).length : 0 }]
  const doneBefore = journalOf(runDir).filter((e) => e.t === 'agent.done')
  const callsBefore = kills[0].asked
  if (kind === 'again during restored agents') {
    // Resume, and kill it while the agents restored from the snapshot are at the model again.
    const again = spawn(process.execPath, [BIN, 'resume', id, '--offline', '--json'], { cwd: sb.project, env: sb.env, detached: true, stdio: 'ignore' })
    await until(() => existsSync(sb.log) && asked(sb.log).length > callsBefore, 60_000)
    await killGroup(again)
    kills.push({ done: new Set(journalOf(runDir).filter((e) => e.t === 'agent.done').map((e) => e.key)), asked: existsSync(sb.log) ? asked(sb.log).length : 0 })
  }
  const r0 = performance.now()
  const res = spawnSync(process.execPath, [BIN, 'resume', id, '--offline', '--json'], { cwd: sb.project, env: sb.env, encoding: 'utf8' })
  resumeMs.push(performance.now() - r0)
  const problems = []
  let summary
  try { summary = JSON.parse(res.stdout) } catch { problems.push(`resume printed no summary (exit ${res.status}): ${res.stderr.slice(-400)}`) }
  if (summary && summary.status !== 'completed') problems.push(`resume ended ${summary.status}: ${summary.error}`)
  if (summary && JSON.stringify(summary.result) !== JSON.stringify(baseline.result)) problems.push('the result differs from the uninterrupted run')
  const calls = asked(sb.log)
  const agents = JSON.parse(readFileSync(join(runDir, 'view.json'), 'utf8')).agents
  const promptOf = new Map(agents.map((a) => [a.key, a.prompt]))
  const count = (from) => {
    const m = new Map()
    for (const e of calls.slice(from)) m.set(e.lastUser, (m.get(e.lastUser) ?? 0) + 1)
    return m
  }
  // Never asked again after a kill at which the journal held it.
  for (const k of kills) {
    const after = count(k.asked)
    for (const key of k.done) {
      const p = promptOf.get(key)
      if (p && (after.get(p) ?? 0) > 0) problems.push(`"${p.slice(0, 40)}" was asked again though the journal held it`)
    }
  }
  // At most one new attempt per kill it was in flight for (13.1): never more than 1 + kills requests in all.
  for (const [p, n] of count(0)) if (n > 1 + kills.length) problems.push(`"${String(p).slice(0, 40)}" was asked ${n} times over ${kills.length} kill(s)`)
  if (summary && summary.agents.cached < doneBefore.length) problems.push(`cached ${summary.agents.cached}, journal held ${doneBefore.length} at the first kill`)
  if (problems.length) console.log(`trial ${t} (${kind}): FAILED (killed at ${killAt === 'gate' ? 'the gate' : killAt.toFixed(0) + ' ms into the run'}, ${doneBefore.length} journaled)\n  ${problems.join('\n  ')}`)
  else {
    passed++
    console.log(`trial ${t} (${kind}): ok — killed at ${killAt === 'gate' ? 'the gate' : killAt.toFixed(0) + ' ms into the run'} with ${doneBefore.length}/${AGENTS} journaled${kills.length > 1 ? `, then again with ${kills[1].done.size}` : ''}; resume made ${calls.length - kills.at(-1).asked} model calls, ${summary.agents.cached} answered from the journal, ${(resumeMs.at(-1) / 1000).toFixed(1)} s`)
  }
}
// No orphans: every process a trial started carries OCDW_TRIAL_ROOT in its environment; all must be gone (within
// the 5 s the lifecycle promises, polled here with room for a loaded machine), and so must the temp homes.
const trialProcesses = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => { try { return readFileSync(`/proc/${p}/environ`, 'utf8').includes(`OCDW_TRIAL_ROOT=${root}\0`) } catch { return false } })
const leftHomes = () => readdirSync(trialTmp).filter((n) => n.startsWith('ocdw-offline-home-'))
const orphanDeadline = Date.now() + 15_000
while ((trialProcesses().length || leftHomes().length) && Date.now() < orphanDeadline) await new Promise((r) => setTimeout(r, 200))
const orphans = trialProcesses()
const homesLeft = leftHomes()
console.log(`orphans: ${orphans.length} processes, ${homesLeft.length} temp homes left${orphans.length ? ` (pids ${orphans.join(', ')})` : ''}`)
for (const p of orphans) try { process.kill(Number(p), 'SIGKILL') } catch { /* gone */ }
rmSync(root, { recursive: true, force: true })
console.log(`machine: ${machine()}`)
const avg = resumeMs.length ? resumeMs.reduce((a, b) => a + b, 0) / resumeMs.length : 0
console.log(`bench crash: trials_passed ${passed}/${TRIALS} (mean resume ${(avg / 1000).toFixed(1)} s vs uninterrupted run ${(baselineMs / 1000).toFixed(1)} s, ratio ${(avg / baselineMs).toFixed(2)})`)
if (passed !== TRIALS || orphans.length || homesLeft.length) process.exitCode = 1
