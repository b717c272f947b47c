// The bundled workflows (deep-research, codebase-audit, migrate) run by the CLI as a user types it, on the real
// `opencode serve` with the offline model. The offline model's rules make agents call real tools first (webfetch of a
// local HTTP site, read/glob/write/edit on a fixture repo) and then answer; gate() runs a real command.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRulesConfig, planReply } from '../../src/offline/index.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const FIXTURES = resolve(__dirname, '../fixtures')

/** Runs the CLI without blocking the event loop (the test's HTTP site must keep answering while agents fetch). */
function runCli(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 80_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = sb.spawn(args, { env })
  return new Promise((done) => {
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      done({ code: code ?? -1, ...child.output() })
    })
  })
}

/** Writes the rules file and runs a bundled workflow; returns the --json summary, `show --json` and the model log. */
async function runWorkflow(sb: Sandbox, name: string, args: unknown, rules: unknown[], extra: string[] = [], exitCode = 0) {
  const rulesFile = join(sb.root, 'rules.json')
  const logFile = join(sb.root, 'model.log')
  writeFileSync(rulesFile, JSON.stringify({ rules }))
  const r = await runCli(sb, ['run', '--name', name, '--args', JSON.stringify(args), '--offline', '--yes', '--json', ...extra], {
    OCDW_OFFLINE_RULES: rulesFile,
    OCDW_OFFLINE_LOG: logFile,
  })
  expect(r.code, r.stderr).toBe(exitCode)
  const summary = parseJsonOut(r.stdout)
  const view = parseJsonOut(sb.run(['show', summary.runId, '--json']).stdout)
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []
  return { summary, result: summary.result, agents: view.agents as any[], log: log as { lastUser: string; kind: string }[], view }
}

const MIGRATE_SURVEY = { match: '^We are doing this migration', reply: { json: { items: [{ path: 'src/greet.js', change: 'replace module.exports with a named ESM export' }] } } }
const then = (tools: { name: string; args: Record<string, unknown> }[], json: unknown) => ({ reply: { tools }, then: { json } })

// The offline model feature these tests lean on: a rule's `then` answers after its tool calls come back.
describe('offline model rule `then` (tool calls first, then the answer)', () => {
  const config = parseRulesConfig({
    rules: [
      { match: 'verify it', reply: { tools: [{ name: 'webfetch', args: { url: 'http://x/' } }] }, then: { json: { vote: 'support' } } },
      { match: 'change it', reply: { tools: [{ name: 'read', args: {} }] }, then: [{ tools: [{ name: 'write', args: {} }] }, { text: 'changed' }] },
    ],
  })
  const state = { seen: () => 0 }
  const user = (text: string) => ({ role: 'user', content: text })
  const round = (name: string) => [{ role: 'assistant', tool_calls: [{ id: name, function: { name, arguments: '{}' } }] }, { role: 'tool', tool_call_id: name, content: 'ok' }]
  const structured = [{ type: 'function', function: { name: 'StructuredOutput', parameters: { type: 'object' } } }]

  it('answers the json follow-up through StructuredOutput after the tool result', () => {
    expect(planReply({ messages: [user('verify it')], tools: structured }, config, state).toolCalls?.map((c) => c.name)).toEqual(['webfetch'])
    const after = planReply({ messages: [user('verify it'), ...round('webfetch')], tools: structured }, config, state)
    expect(after.toolCalls).toEqual([expect.objectContaining({ name: 'StructuredOutput', arguments: JSON.stringify({ vote: 'support' }) })])
  })

  it('steps through a list of follow-ups, one per tool round, then falls back to the default', () => {
    expect(planReply({ messages: [user('change it'), ...round('read')] }, config, state).toolCalls?.map((c) => c.name)).toEqual(['write'])
    expect(planReply({ messages: [user('change it'), ...round('read'), ...round('write')] }, config, state)).toMatchObject({ kind: 'text', text: 'changed' })
    expect(planReply({ messages: [user('change it'), ...round('read'), ...round('write'), ...round('bash')] }, config, state).text).toMatch(/^done: /)
  })
})

describe('bundled workflows on the real OpenCode server with the offline model', () => {
  const sandboxes: Sandbox[] = []
  const sandbox = () => {
    const sb = makeSandbox('ocdw-wf-')
    sandboxes.push(sb)
    return sb
  }
  afterAll(() => sandboxes.forEach((sb) => sb.cleanup()))

  // A small site with true and false statements about tides; counts fetches per page.
  const PAGES: Record<string, string> = {
    '/tides.html': 'Ocean tides are caused mainly by the gravitational pull of the Moon.',
    '/sun.html': 'The Sun also raises tides, about half as strongly as the Moon does.',
    '/myth.html': 'Ocean tides are caused by winds pushing the sea toward the shore.',
  }
  const hits: Record<string, number> = {}
  let site: Server
  let base = ''
  beforeAll(async () => {
    site = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      hits[path] = (hits[path] ?? 0) + 1
      const text = PAGES[path]
      res.writeHead(text ? 200 : 404, { 'content-type': 'text/html' })
      res.end(text ? `<html><head><title>${path}</title></head><body><p>${text}</p></body></html>` : 'not found')
    })
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => site.close(() => r())))

  it('deep-research: fetches the pages, keeps verified claims with citations, drops the refuted one', async () => {
    const url = (p: string) => base + p
    const fetchPage = (p: string) => ({ name: 'webfetch', args: { url: url(p), format: 'text' } })
    const claim = (text: string, p: string) => ({ claim: text, url: url(p), quote: PAGES[p] })
    const MOON = 'Ocean tides are caused mainly by the gravitational pull of the Moon.'
    const SUN = 'The Sun also raises tides, about half as strongly as the Moon does.'
    const WIND = 'Ocean tides are caused by winds pushing the sea toward the shore.'
    const verifier = (claimStart: string, who = '\\d') => `^You are independent verifier ${who} of 3[\\s\\S]*Claim: ${claimStart}`
    const rules = [
      { match: '^Plan research for this question', reply: { json: { angles: ['lunar gravity', 'popular explanations', 'the sun and tides'] } } },
      { match: '^Research angle 1 of', ...then([fetchPage('/tides.html')], { claims: [claim(MOON, '/tides.html')] }) },
      { match: '^Research angle 2 of', ...then([fetchPage('/myth.html')], { claims: [claim(WIND, '/myth.html')] }) },
      // Same claim as angle 1 up to case and punctuation: merged into one claim.
      { match: '^Research angle 3 of', ...then([fetchPage('/sun.html'), fetchPage('/tides.html')], { claims: [claim(SUN, '/sun.html'), claim(MOON.toLowerCase().replace('.', ''), '/tides.html')] }) },
      // Verifier 1 is fooled by the wind page; 2 and 3 check it against the tides page and refute it.
      { match: verifier('Ocean tides are caused by winds', '1'), ...then([fetchPage('/myth.html')], { vote: 'support', reason: 'the page says so' }) },
      { match: verifier('Ocean tides are caused by winds'), ...then([fetchPage('/myth.html'), fetchPage('/tides.html')], { vote: 'refute', reason: `contradicted by ${url('/tides.html')}: tides come from the Moon's gravity` }) },
      { match: verifier('Ocean tides are caused mainly'), ...then([fetchPage('/tides.html')], { vote: 'support', reason: 'the passage is on the page' }) },
      { match: verifier('The Sun also raises'), ...then([fetchPage('/sun.html')], { vote: 'support', reason: 'the passage is on the page' }) },
    ]
    const sb = sandbox()
    const question = 'What causes ocean tides?'
    const { summary, result, agents, log } = await runWorkflow(sb, 'deep-research', { question, urls: Object.keys(PAGES).map(url), angles: 3 }, rules)

    expect(summary.status).toBe('completed')
    expect(result.claims.map((c: any) => c.claim).sort()).toEqual([MOON, SUN].sort())
    expect(result.claims.find((c: any) => c.claim === MOON).sources).toEqual([{ url: url('/tides.html'), quote: PAGES['/tides.html'] }])
    expect(result.dropped).toHaveLength(1)
    expect(result.dropped[0]).toMatchObject({ claim: WIND, votes: { support: 1, refute: 2, unclear: 0, of: 3 } })
    expect(result.dropped[0].why).toContain(url('/tides.html'))

    const report: string = result.report
    const [findings, rest] = report.split('## Did not survive cross-checking')
    const [dropped, sources] = rest.split('## Sources')
    const n = (p: string) => result.sources.find((s: any) => s.url === url(p)).n
    expect(findings).toContain(`${MOON} [${n('/tides.html')}]`)
    expect(findings).toContain(`${SUN} [${n('/sun.html')}]`)
    expect(findings).not.toContain(WIND)
    expect(dropped).toContain(`${WIND} [${n('/myth.html')}]: 1 support, 2 refute`)
    for (const p of Object.keys(PAGES)) expect(sources).toContain(`${n(p)}. ${url(p)}`)

    // Finders and verifiers are separate sessions, and every verifier fetched its page before voting.
    const finders = agents.filter((a) => a.label.startsWith('search:'))
    const verifiers = agents.filter((a) => a.label.startsWith('verify'))
    expect(finders).toHaveLength(3)
    expect(verifiers).toHaveLength(9)
    const sessions = [...finders, ...verifiers].map((a) => a.sessionId)
    expect(sessions.every(Boolean)).toBe(true)
    expect(new Set(sessions).size).toBe(sessions.length)
    for (const v of verifiers) expect(v.tools.map((t: any) => `${t.tool}:${t.status}`)).toContain('webfetch:completed')
    expect(log.filter((l) => /^You are independent verifier/.test(l.lastUser) && l.kind === 'tools')).toHaveLength(9)
    expect(hits['/myth.html']).toBeGreaterThanOrEqual(1 + 3)
    expect(hits['/tides.html']).toBeGreaterThanOrEqual(2 + 3 + 2)
  })

  it('codebase-audit: the planted bug is reported with file:line and survives review; a false finding is refuted', async () => {
    const sb = sandbox()
    cpSync(join(FIXTURES, 'audit-repo'), sb.project, { recursive: true })
    const file = (rel: string) => join(sb.project, rel)
    const bugLine = readFileSync(file('src/cart.js'), 'utf8').split('\n').findIndex((l) => l.includes('i <= items.length')) + 1
    expect(bugLine).toBeGreaterThan(0)
    const read = (rel: string) => ({ name: 'read', args: { filePath: file(rel) } })
    const BUG = { file: 'src/cart.js', line: bugLine, severity: 'high', title: 'Off-by-one: total() reads past the end of items', detail: 'i <= items.length reads items[items.length], which is undefined, so total() throws a TypeError.' }
    const FALSE = { file: 'src/format.js', line: 3, severity: 'low', title: 'money() returns NaN for bad input', detail: 'cents is used unchecked.' }
    const rules = [
      { match: '^Survey this repository', ...then([{ name: 'glob', args: { pattern: 'src/**/*.js' } }], { areas: [{ name: 'cart', paths: ['src/cart.js'] }, { name: 'format', paths: ['src/format.js'] }] }) },
      { match: '^Audit the area "cart"', ...then([read('src/cart.js')], { findings: [BUG] }) },
      { match: '^Audit the area "format"', ...then([read('src/format.js')], { findings: [FALSE] }) },
      { match: '^You are an adversarial reviewer[\\s\\S]*src/cart\\.js', ...then([read('src/cart.js')], { refuted: false, reason: `line ${bugLine} loops one past the end` }) },
      { match: '^You are an adversarial reviewer[\\s\\S]*src/format\\.js', ...then([read('src/format.js')], { refuted: true, reason: 'Number.isFinite turns NaN into 0 on line 3' }) },
    ]
    const { summary, result, agents } = await runWorkflow(sb, 'codebase-audit', 'correctness', rules)

    expect(summary.status).toBe('completed')
    expect(result.confirmed).toEqual([{ ...BUG, area: 'cart' }])
    expect(result.refuted).toEqual([{ ...FALSE, area: 'format' }])
    expect(result.report).toMatch(new RegExp(`## high\\n\\n- \`src/cart\\.js:${bugLine}\` Off-by-one`))
    expect(result.report.split('## Refuted in review')[1]).toContain('`src/format.js:3`')
    const reviewers = agents.filter((a) => a.phase === 'Review')
    expect(reviewers).toHaveLength(2)
    for (const r of reviewers) expect(r.tools.map((t: any) => `${t.tool}:${t.status}`)).toContain('read:completed')
  })

  it('migrate: write/edit tool calls change the file, a failing gate() triggers one retry with its output', async () => {
    const sb = sandbox()
    cpSync(join(FIXTURES, 'migrate-repo'), sb.project, { recursive: true })
    const greet = join(sb.project, 'src/greet.js')
    const read = { name: 'read', args: { filePath: greet } }
    // The first change leaves a default export (the gate fails); the retry edits it into a named export.
    const firstTry = "// Greeting helper, now ESM.\nexport default function greet(name) {\n  return 'Hello, ' + name + '!'\n}\n"
    const rules = [
      MIGRATE_SURVEY,
      {
        match: '^Migration: [\\s\\S]*Your change to src/greet\\.js fails the check `node check\\.js` \\(exit 1\\)[\\s\\S]*needs a named export',
        reply: { tools: [read] },
        then: [{ tools: [{ name: 'edit', args: { filePath: greet, oldString: 'export default function greet', newString: 'export function greet' } }] }, { text: 'fixed src/greet.js' }],
      },
      { match: '^Migration: [\\s\\S]*\\nChange src/greet\\.js', reply: { tools: [read] }, then: [{ tools: [{ name: 'write', args: { filePath: greet, content: firstTry } }] }, { text: 'changed src/greet.js' }] },
      { match: '^Migration: [\\s\\S]*Results per item', reply: { text: 'Migrated src/greet.js to a named ESM export; nothing left.' } },
    ]
    const { summary, result, agents, log } = await runWorkflow(sb, 'migrate', { goal: 'convert src to ESM', gate: 'node check.js' }, rules)

    expect(summary.status).toBe('completed')
    // The gate really ran: failed after the first change, passed after the retry, passed at the end.
    expect(readFileSync(join(sb.project, '.gate-runs'), 'utf8').trim().split('\n'), 'gate() must see the failing exit code of `node check.js`').toHaveLength(3)
    expect(result.items, 'a failing gate() must trigger the retry').toEqual([{ path: 'src/greet.js', ok: true, attempts: 2 }])
    const after = readFileSync(greet, 'utf8')
    expect(after).toContain('export function greet(name)')
    expect(after).not.toContain('module.exports')
    expect(result).toMatchObject({ done: ['src/greet.js'], failed: [], gate: { command: 'node check.js', ok: true } })
    expect(result.summary).toContain('Migrated src/greet.js')
    expect(agents.map((a) => a.label)).toEqual(['survey', 'change src/greet.js', 'retry src/greet.js', 'verify'])
    expect(agents.find((a) => a.label === 'change src/greet.js').tools.map((t: any) => `${t.tool}:${t.status}`)).toEqual(['read:completed', 'write:completed'])
    expect(agents.find((a) => a.label === 'retry src/greet.js').tools.map((t: any) => `${t.tool}:${t.status}`)).toEqual(['read:completed', 'edit:completed'])
    expect(log.some((l) => l.lastUser.includes('check failed: src/greet.js needs a named export'))).toBe(true)
  })

  it('migrate honours --budget: items it cannot afford are not done, so the run ends failed saying so; nothing is changed', async () => {
    const sb = sandbox()
    cpSync(join(FIXTURES, 'migrate-repo'), sb.project, { recursive: true })
    const before = readFileSync(join(sb.project, 'src/greet.js'), 'utf8')
    const { summary, agents } = await runWorkflow(sb, 'migrate', { goal: 'convert src to ESM', gate: 'node check.js' }, [MIGRATE_SURVEY], ['--budget', '1'], 1)

    expect(summary.status).toBe('failed')
    expect(agents.map((a) => a.label)).toEqual(['survey'])
    expect(summary.error).toMatch(/did not pass verification: 0 of 1 items done; failed: src\/greet\.js \(skipped: the token budget is spent\)/)
    expect(readFileSync(join(sb.project, 'src/greet.js'), 'utf8')).toBe(before)
  })

  it('migrate: when every gate fails, the run ends failed (exit 1) naming the item, the check and its output', async () => {
    const sb = sandbox()
    cpSync(join(FIXTURES, 'migrate-repo'), sb.project, { recursive: true })
    const greet = join(sb.project, 'src/greet.js')
    // Both the change and the retry leave CommonJS in place, so `node check.js` fails every time.
    const rules = [
      MIGRATE_SURVEY,
      { match: '^Migration: [\\s\\S]*fails the check', reply: { text: 'I could not fix it' } },
      { match: '^Migration: [\\s\\S]*\\nChange src/greet\\.js', reply: { text: 'changed src/greet.js (not really)' } },
      { match: '^Migration: [\\s\\S]*Results per item', reply: { text: 'src/greet.js is NOT migrated.' } },
    ]
    const { summary, agents, view } = await runWorkflow(sb, 'migrate', { goal: 'convert src to ESM', gate: 'node check.js' }, rules, [], 1)

    expect(summary.status).toBe('failed')
    expect(summary.result).toBeNull()
    expect(agents.map((a) => a.label)).toEqual(['survey', 'change src/greet.js', 'retry src/greet.js', 'verify'])
    // Gate after the change, after the retry, and the final check: all three really ran and failed.
    expect(readFileSync(join(sb.project, '.gate-runs'), 'utf8').trim().split('\n')).toHaveLength(3)
    expect(readFileSync(greet, 'utf8')).toContain('module.exports')
    expect(summary.error).toContain('The migration did not pass verification: 0 of 1 items done')
    expect(summary.error).toContain('src/greet.js (`node check.js` still exits 1 after a retry: check failed: src/greet.js still uses module.exports')
    expect(summary.error).toContain('the final check `node check.js` exits 1')
    expect(view.status).toBe('failed')
    const report = readFileSync(join(view.runDir, 'report.md'), 'utf8')
    expect(report).toContain('- status: **failed**')
    expect(report).toContain('src/greet.js (`node check.js` still exits 1')
  })

  it('codebase-audit: a repeated area is audited once and a finding two auditors report is reviewed and listed once', async () => {
    const sb = sandbox()
    cpSync(join(FIXTURES, 'audit-repo'), sb.project, { recursive: true })
    const SAME = { file: 'src/format.js', line: 3, severity: 'low', title: 'money() returns NaN for bad input', detail: 'cents is used unchecked.' }
    const rules = [
      {
        match: '^Survey this repository',
        reply: {
          json: {
            areas: [
              { name: 'format', paths: ['src/format.js'] },
              { name: 'Format', paths: ['./src/format.js'] }, // the same area again, other case and path spelling
              { name: 'money helpers', paths: ['src/format.js'] }, // another name, nothing new to cover
              { name: 'cart', paths: ['src/cart.js', 'src/format.js'] },
            ],
          },
        },
      },
      { match: '^Audit the area "format"', reply: { json: { findings: [SAME] } } },
      { match: '^Audit the area "cart"', reply: { json: { findings: [{ ...SAME, title: 'money() can return NaN' }] } } },
      { match: '^You are an adversarial reviewer', reply: { json: { refuted: true, reason: 'Number.isFinite guards it on line 3' } } },
    ]
    const { summary, result, agents } = await runWorkflow(sb, 'codebase-audit', 'correctness', rules)

    expect(summary.status).toBe('completed')
    expect(result.areas).toEqual(['format', 'cart'])
    expect(agents.filter((a) => a.phase === 'Audit').map((a) => a.label)).toEqual(['audit format', 'audit cart'])
    expect(agents.filter((a) => a.phase === 'Review')).toHaveLength(1)
    expect(result.refuted).toHaveLength(1)
    expect(result.refuted[0]).toMatchObject({ file: 'src/format.js', line: 3 })
    expect(result.confirmed).toEqual([])
    expect(result.report.split('## Refuted in review')[1].match(/src\/format\.js:3/g)).toHaveLength(1)
  })

  it('deep-research: when no claim survives, the report says so first, and why', async () => {
    const sb = sandbox()
    const WIND = 'Ocean tides are caused by winds pushing the sea toward the shore.'
    const rules = [
      { match: '^Plan research for this question', reply: { json: { angles: ['winds', 'myths', 'folk tales'] } } },
      { match: '^Research angle 1 of', reply: { json: { claims: [{ claim: WIND, url: `${base}/myth.html`, quote: PAGES['/myth.html'] }] } } },
      { match: '^Research angle \\d of', reply: { json: { claims: [] } } },
      { match: '^You are independent verifier', reply: { json: { vote: 'refute', reason: 'tides follow the Moon, not the wind' } } },
    ]
    const { summary, result } = await runWorkflow(sb, 'deep-research', { question: 'What causes ocean tides?', angles: 3 }, rules)

    expect(summary.status).toBe('completed')
    expect(result.claims).toEqual([])
    expect(result.verdict).toBe('No claim survived cross-checking: 1 claim was checked and 1 claim was refuted by at least one verifier. The reasons are listed below.')
    const [head, dropped] = result.report.split('## Did not survive cross-checking')
    expect(head).toContain(`**${result.verdict}**`)
    expect(dropped).toContain(`${WIND} [1]: 0 support, 3 refute, 0 unclear — tides follow the Moon, not the wind`)

    // And when the searches find nothing at all, it says that instead.
    const sb2 = sandbox()
    const empty = [
      { match: '^Plan research for this question', reply: { json: { angles: ['a', 'b', 'c'] } } },
      { match: '^Research angle', reply: { json: { claims: [] } } },
    ]
    const none = await runWorkflow(sb2, 'deep-research', { question: 'What is unknowable?', angles: 3 }, empty)
    expect(none.result.verdict).toBe('No claim survived: the 3 searches found no sourced claims that answer the question.')
    expect(none.result.report).toContain(`**${none.result.verdict}**`)
  })
})
