// Runs you can trust (issue 13), on the real `opencode serve` with the offline model and real processes: an agent
// interrupted by kill -9 is asked exactly once more (13.1); a dead server interrupts the run instead of completing it
// with nulls, and resume finishes it (13.6); `ocdw stop` and Ctrl-C on a server ocdw does not own really stop the session,
// during a tool or while the model answers (the drain)
// (13.8); ls, show and the other surfaces tell one story for killed, paused, live and resumed runs (13.11); and the
// CLI's hygiene: bad agent names exit 2, labels and id prefixes work, restart never pretends, a closed pipe is no
// crash, resume continues a paused live run (13.10, 13.12).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { BIN, leftovers, makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { waitFor as waitUntil } from '../support/wait.js'

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000) => waitUntil(what, probe, timeoutMs)

const journal = (runDir: string) =>
  existsSync(join(runDir, 'journal.jsonl'))
    ? readFileSync(join(runDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).flatMap((l) => { try { return [JSON.parse(l)] } catch { return [] } })
    : []
const asked = (log: string, prompt: string) =>
  existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind !== 'title' && e.lastUser === prompt).length : 0
/** Chat requests for `prompt` that reached the offline model (answered or not); title requests are not counted. */
const arrived = (file: string, prompt: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => !e.title && e.lastUser === prompt).length : 0
const runDirOf = (sb: Sandbox, marker: string) => {
  const root = join(sb.project, '.opencode/workflows/runs')
  if (!existsSync(root)) return undefined
  const id = readdirSync(root).find((d) => existsSync(join(root, d, 'script.js')) && readFileSync(join(root, d, 'script.js'), 'utf8').includes(marker))
  return id && join(root, id)
}
const lsEntry = (sb: Sandbox, id: string) => parseJsonOut(sb.run(['ls', '--json']).stdout).find((r: any) => r.id === id)
const showJson = (sb: Sandbox, id: string) => parseJsonOut(sb.run(['show', id, '--json']).stdout)

describe('runs you can trust, on the real server', { timeout: 400_000 }, () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox('ocdw-trust-')
  })
  afterAll(() => sb.cleanup())

  it('13.1 an agent killed in flight is asked exactly once more on resume, even when it finishes before the script asks', async () => {
    const rules = join(sb.root, 'fix-rules.json')
    const arrivals = join(sb.root, 'fix-arrivals.log')
    const FIX = 'FIX the flaky test'
    // The first answer never comes while the test runs, so the kill surely lands while FIX is at the model however
    // loaded the machine is. The rules are read when the offline model starts: the resumed run's model answers in
    // half a second, so the restored agent can finish while the script still waits on its 5 s gate.
    const fixRules = (latencyMs: number) => JSON.stringify({ rules: [{ match: `^${FIX}$`, latencyMs, reply: { text: 'fixed it' } }] })
    writeFileSync(rules, fixRules(600_000))
    writeFileSync(join(sb.project, 'gate-fix.js'), `export const meta = { name: 'gate-fix' }
await gate('sleep 5')
const fixed = await agent('${FIX}', { label: 'fixer' })
return fixed
`)
    const env = { OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_ARRIVALS: arrivals }
    const child = sb.spawn(['run', '--script', 'gate-fix.js', '--offline', '--yes', '--json'], { env })
    const runDir = await waitFor('the gate-fix run', () => runDirOf(sb, "'gate-fix'"))
    const id = runDir.split('/').pop()!
    await waitFor('the FIX request at the model', () => arrived(arrivals, FIX) === 1)
    // snapshot.json is written throttled: on a loaded machine it may not show FIX yet when FIX is already at the model.
    const snapshotPath = join(runDir, 'snapshot.json')
    await waitFor('a snapshot with FIX running', () => existsSync(snapshotPath) && /"running":\["[\w-]+"\]/.test(readFileSync(snapshotPath, 'utf8')))
    process.kill(-child.pid!, 'SIGKILL')
    await new Promise((r) => child.on('exit', r))
    // The kill landed while FIX was in flight: the model never answered it.
    expect(journal(runDir).some((e) => e.t === 'agent.done')).toBe(false)
    writeFileSync(rules, fixRules(500))
    await waitFor('the orphaned server to exit', () => leftovers(sb.root).length === 0, 20_000)

    // 13.11: a killed run is `interrupted` on every surface.
    expect(lsEntry(sb, id).status).toBe('interrupted')
    expect(showJson(sb, id).facts.status).toBe('interrupted')
    expect(sb.run(['show', id]).stdout.split('\n')[0]).toMatch(/ interrupted /)

    const resumed = sb.run(['resume', id.slice(0, -2), '--offline', '--json'], { env })
    expect(resumed.code, resumed.stderr).toBe(0)
    const summary = parseJsonOut(resumed.stdout)
    expect(summary.result).toBe('fixed it')
    // One request before the kill, one new attempt after it: never a third.
    expect(arrived(arrivals, FIX)).toBe(2)
  }, 300_000)

  it('13.6 a server that dies mid-run interrupts the run (exit 1, a sentence, nothing reads as a result); resume completes it', async () => {
    const rules = join(sb.root, 'infra-rules.json')
    writeFileSync(rules, JSON.stringify({ rules: [{ match: '^infra item 2$', latencyMs: 8000, reply: { text: 'two' } }] }))
    writeFileSync(join(sb.project, 'infra.js'), `export const meta = { name: 'infra' }
const out = []
for (let i = 0; i < 4; i++) out.push(await agent('infra item ' + i, { label: 'item ' + i }))
return out
`)
    const env = { OCDW_OFFLINE_RULES: rules }
    const child = sb.spawn(['run', '--script', 'infra.js', '--offline', '--yes', '--json'], { env })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const runDir = await waitFor('the infra run', () => runDirOf(sb, "'infra'"))
    await waitFor('item 2 started', () => journal(runDir).filter((e) => e.t === 'agent.started').length >= 3 && journal(runDir).filter((e) => e.t === 'agent.done').length === 2)
    // The OpenCode server dies (not the CLI).
    const servers = leftovers(sb.root).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve')
      } catch {
        return false
      }
    })
    expect(servers.length).toBeGreaterThan(0)
    for (const pid of servers) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }
    expect(await exited).toBe(1)
    const summary = parseJsonOut(child.output().stdout)
    expect(summary.status).toBe('interrupted')
    expect(summary.error).toMatch(/^The run was interrupted because OpenCode could not be reached .*; the agents that finished are kept, and `ocdw resume` continues the run once that is fixed\.$/)
    expect(summary.agents.done).toBe(2)
    expect(lsEntry(sb, summary.runId).status).toBe('interrupted')
    await waitFor('the dead server\'s watchdog to go', () => leftovers(sb.root).length === 0, 20_000)

    const resumed = sb.run(['resume', summary.runId, '--offline', '--json'], { env })
    expect(resumed.code, resumed.stderr).toBe(0)
    const after = parseJsonOut(resumed.stdout)
    expect(after.status).toBe('completed')
    expect(after.result).toHaveLength(4)
    expect(after.result.every((x: unknown) => typeof x === 'string' && x.length > 0)).toBe(true)
    expect(after.agents.cached).toBe(2)
  })

  it('13.10 13.11 13.12 a live run: bad names exit 2, restart never pretends, labels and id prefixes work, ls and show agree while paused, resume continues it', async () => {
    const rules = join(sb.root, 'live-rules.json')
    writeFileSync(rules, JSON.stringify({ rules: [{ match: '^live slow', latencyMs: 10000, reply: { text: 'slow answer' } }] }))
    writeFileSync(join(sb.project, 'live.js'), `export const meta = { name: 'live-run' }
const first = await agent('live first', { label: 'first' })
const two = await agent('live slow 2', { label: 'item 2' })
const three = await agent('live slow 3', { label: 'item 3' })
return [first !== null, two, three]
`)
    const r = sb.run(['run', '--script', 'live.js', '--offline', '--yes', '--detach'], { env: { OCDW_OFFLINE_RULES: rules } })
    expect(r.code, r.stderr).toBe(0)
    const id = r.stdout.trim()
    const prefix = id.slice(0, -1)
    const runDir = join(sb.project, '.opencode/workflows/runs', id)
    await waitFor('item 2 running', () => showJson(sb, id).agents.find((a: any) => a.label === 'item 2' && a.status === 'running'))
    // Paused while item 2 runs (it finishes; item 3 will wait): a stable run that every surface must describe alike.
    expect(sb.run(['pause', prefix]).code).toBe(0)

    const unknown = sb.run(['stop', prefix, '--agent', 'nobody'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(new RegExp(`Run ${id} has no agent with the key or label "nobody"; \`ocdw show ${id}\` lists its agents\\.`))
    const restart = sb.run(['restart', prefix, '--agent', 'first'])
    expect(restart.code).toBe(2)
    expect(restart.stderr).toMatch(/Agent "first" \([\w-]+\) already finished and the script has its result, so restarting it would change nothing; only a running agent can be restarted\./)
    expect(showJson(sb, id).agents.find((a: any) => a.label === 'first').attempt).toBe(1)

    await waitFor('item 2 done and item 3 held while paused', () => {
      const v = showJson(sb, id)
      return v.agents.find((a: any) => a.label === 'item 2' && a.status === 'done') && v.agents.find((a: any) => a.label === 'item 3' && a.status === 'queued')
    })
    const listed = await waitFor('ls to see the pause', () => {
      const e = lsEntry(sb, id)
      return e?.status === 'paused' && e
    })
    const shown = showJson(sb, id)
    expect(shown.status).toBe('paused')
    expect({ status: listed.facts.status, agents: listed.facts.agents, tokens: listed.facts.tokens }).toEqual({
      status: shown.facts.status,
      agents: shown.facts.agents,
      tokens: shown.facts.tokens,
    })
    expect(listed.facts.agents).toEqual({ done: 2, total: 3 })
    expect(listed.facts.tokens).toBeGreaterThan(0)
    const lsLine = sb.run(['ls']).stdout.split('\n').find((l) => l.startsWith(id))!
    expect(lsLine).toMatch(/ paused .* 2\/3 agents /)

    // `ocdw resume` continues the paused run where it runs; then its last agent is stopped by its label.
    const cont = sb.run(['resume', prefix, '--offline'])
    expect(cont.code, cont.stderr).toBe(0)
    expect(cont.stderr).toMatch(new RegExp(`run ${id} was paused in process \\d+; it continues there now`))
    await waitFor('item 3 running', () => showJson(sb, id).agents.find((a: any) => a.label === 'item 3' && a.status === 'running'))
    expect(sb.run(['stop', prefix, '--agent', 'item 3']).code).toBe(0)
    const done = await waitFor('the run to complete', () => {
      const v = showJson(sb, id)
      return v.status === 'completed' && v
    })
    expect(done.result).toEqual([true, 'slow answer', null])

    // Resuming the completed run does not count the time it lay finished.
    const before = lsEntry(sb, id).facts.elapsedMs
    await waitFor('some time to pass', () => Date.now() - JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).endedAt > 3000 || undefined, 10_000)
    const t0 = Date.now()
    const again = sb.run(['resume', id, '--offline', '--json'])
    const took = Date.now() - t0
    expect(again.code, again.stderr).toBe(0)
    const after = lsEntry(sb, id).facts.elapsedMs
    expect(after).toBeGreaterThanOrEqual(before)
    expect(after - before).toBeLessThanOrEqual(took)
    const report = readFileSync(join(runDir, 'report.md'), 'utf8')
    expect(report).toContain(`- elapsed: ${(after / 1000).toFixed(1)} s`)
  })

  it('16.4 `ocdw resume --script edited.js`: the unchanged leading call answers from the journal, the edited rest runs live', () => {
    const log = join(sb.root, 'edit-model.log')
    const v1 = `export const meta = { name: 'edit-then-resume' }
const survey = await agent('edit survey')
const change = await agent('edit change: ' + survey.length)
return [survey, change]
`
    writeFileSync(join(sb.project, 'edit.js'), v1)
    const first = sb.run(['run', '--script', 'edit.js', '--offline', '--yes', '--json'], { env: { OCDW_OFFLINE_LOG: log } })
    expect(first.code, first.stderr).toBe(0)
    const { runId } = parseJsonOut(first.stdout)
    writeFileSync(join(sb.project, 'edited.js'), v1.replace("'edit change: '", "'edit change carefully: '"))
    // Without approval there is no terminal to ask in: refused with a sentence, nothing runs.
    const refused = sb.run(['resume', runId, '--script', 'edited.js', '--offline'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/needs approval and there is no terminal to ask in; run again with --yes/)
    const resumed = sb.run(['resume', runId, '--script', 'edited.js', '--yes', '--offline', '--json'], { env: { OCDW_OFFLINE_LOG: log } })
    expect(resumed.code, resumed.stderr).toBe(0)
    const s = parseJsonOut(resumed.stdout)
    expect(s.agents.cached).toBe(1)
    expect(s.result[1]).not.toBe(parseJsonOut(first.stdout).result[1])
    expect(asked(log, 'edit survey')).toBe(1)
    expect(asked(log, `edit change carefully: ${s.result[0].length}`)).toBe(1)
    expect(readFileSync(join(sb.project, '.opencode/workflows/runs', runId, 'script.js'), 'utf8')).toContain('edit change carefully')
  })

  it('13.3 `ocdw resume --help` offers only flags that act on a resume', () => {
    const help = sb.run(['resume', '--help']).stdout
    for (const flag of ['--script', '--concurrency', '--max-agents', '--budget', '--offline', '--server', '--model', '--json']) expect(help).toContain(flag)
    for (const flag of ['--args', '--detach', '--name']) expect(help).not.toContain(flag)
  })

  it('13.12 `ocdw ls | head -1` ends quietly', () => {
    // Enough runs that ls is still writing when head has gone.
    for (let i = 0; i < 1500; i++) {
      const id = `wf_20200101_${String(i).padStart(6, '0')}`
      const dst = join(sb.project, '.opencode/workflows/runs', id)
      mkdirSync(dst, { recursive: true })
      const totals = { agents: { total: 1, done: 1, failed: 0, stopped: 0 }, tokens: { input: 1, output: 1, reasoning: 0, total: 2 } }
      writeFileSync(join(dst, 'run.json'), JSON.stringify({ id, name: 'many', projectDir: sb.project, options: {}, status: 'completed', startedAt: 1, endedAt: 2, totals }))
    }
    const r = spawnSync('sh', ['-c', `node ${JSON.stringify(BIN)} ls | head -1; echo "ls-exit=\${PIPESTATUS:-done}"`], { cwd: sb.project, env: sb.env, encoding: 'utf8' })
    expect(r.stdout.split('\n')[0]).toMatch(/^wf_/)
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /)
  })
})

describe('13.8 stop on a server ocdw does not own', { timeout: 300_000 }, () => {
  let sb: Sandbox
  let bed: OfflineTestbed
  const arrivals = () => join(sb.root, 'arrivals.log')
  /** A model turn that answers (after `latencyMs`) with a bash call that touches `marker` 5 s later. */
  const lateTouch = (marker: string, latencyMs: number) => ({
    match: `^touch ${marker} late$`,
    latencyMs,
    reply: { tools: [{ name: 'bash', args: { command: `sleep 5; touch ${marker}`, description: 'Touch a marker late' } }] },
    then: [{ text: 'touched' }],
  })
  beforeAll(async () => {
    sb = makeSandbox('ocdw-stop-server-')
    bed = await startOfflineTestbed({
      projectDir: sb.project,
      arrivalsFile: arrivals(),
      rules: [
        {
          match: '^touch the marker$',
          reply: { tools: [{ name: 'bash', args: { command: 'sleep 30; touch stopped-marker', description: 'Touch a marker late' } }] },
          then: [{ text: 'touched' }],
        },
        // The stop lands while the model is still answering; its answer (a tool call) comes after ocdw was told to stop.
        lateTouch('stop-marker', 15_000),
        lateTouch('sigint-marker', 15_000),
      ] as never,
    })
  })
  /** Waits until every session on the server is idle, and returns the error names of their messages. */
  const restingErrors = async () => {
    await waitFor('no busy session on the server', async () => {
      const st = await bed.client.session.status({ directory: sb.project })
      return Object.values((st.data ?? {}) as Record<string, { type: string }>).every((s) => s.type === 'idle') || undefined
    }, 60_000)
    const errors: string[] = []
    for (const s of ((await bed.client.session.list({ directory: sb.project })).data ?? []) as any[]) {
      const msgs = (await bed.client.session.messages({ sessionID: s.id, directory: sb.project })).data ?? []
      for (const m of msgs as any[]) if (m.info?.error) errors.push(m.info.error.name)
    }
    return errors
  }

  for (const how of ['ocdw stop', 'Ctrl-C'] as const) {
    it(`13.8 ${how} while the model is answering: the tool it then asks for is aborted before it runs to the end`, async () => {
      const marker = how === 'ocdw stop' ? 'stop-marker' : 'sigint-marker'
      const prompt = `touch ${marker} late`
      writeFileSync(join(sb.project, `${marker}.js`), `export const meta = { name: '${marker}' }\nreturn await agent('${prompt}')\n`)
      const child = sb.spawn(['run', '--script', `${marker}.js`, '--server', bed.url, '--model', bed.model, '--yes', '--json'], { env: { OPENCODE_SERVER_PASSWORD: bed.auth.password } })
      const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
      const runDir = await waitFor(`the ${marker} run`, () => runDirOf(sb, `'${marker}'`))
      await waitFor('the prompt at the model', () => arrived(arrivals(), prompt) === 1)
      if (how === 'ocdw stop') {
        const stop = sb.run(['stop', runDir.split('/').pop()!], { env: { OPENCODE_SERVER_PASSWORD: bed.auth.password } })
        expect(stop.code, stop.stderr).toBe(0)
      } else process.kill(child.pid!, 'SIGINT')
      // ocdw leaves only once the session was aborted at its tool call (the drain), so the marker never appears.
      expect(await exited).toBe(3)
      expect(await restingErrors()).toContain('MessageAbortedError')
      await new Promise((r) => setTimeout(r, 6000))
      expect(existsSync(join(sb.project, marker))).toBe(false)
    })
  }

  afterAll(async () => {
    await bed?.stop()
    sb.cleanup()
  })

  it('13.8 `ocdw stop` while an agent\'s tool runs leaves no session running on --server: the tool is aborted', async () => {
    writeFileSync(join(sb.project, 'marker.js'), `export const meta = { name: 'marker' }
return await agent('touch the marker')
`)
    const child = sb.spawn(['run', '--script', 'marker.js', '--server', bed.url, '--model', bed.model, '--yes', '--json'], { env: { OPENCODE_SERVER_PASSWORD: bed.auth.password } })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const runDir = await waitFor('the marker run', () => runDirOf(sb, "'marker'"))
    await waitFor('the agent started', () => journal(runDir).some((e) => e.t === 'agent.started'))
    const id = runDir.split('/').pop()!
    await waitFor('the bash tool running', () => showJson(sb, id).agents.some((a: any) => a.tools.some((t: any) => t.tool === 'bash' && t.status === 'running')))
    const stop = sb.run(['stop', id], { env: { OPENCODE_SERVER_PASSWORD: bed.auth.password } })
    expect(stop.code, stop.stderr).toBe(0)
    expect(await exited).toBe(3)
    // Every session on the server has come to rest; the agent's bash call (30 s, then the marker) was cut short.
    expect(await restingErrors()).toContain('MessageAbortedError')
    expect(existsSync(join(sb.project, 'stopped-marker'))).toBe(false)
  })
})
