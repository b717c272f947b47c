// The pool of OpenCode servers in parts (issue 17.3): which server an agent goes to, taking a server out when it stops
// answering and back when it answers again, the governor's per-server limit, the server list from flags and from the
// user's ocdw.json (never from a project's), and the pool recorded in run.json for resume. The whole thing on real
// servers: test/e2e/pool.test.ts.
import { createServer, type Server } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { createServerPool } from '../../src/opencode/server-pool.js'
import { loadServerList, pairServers } from '../../src/opencode/server-list.js'
import { freePort } from '../../src/opencode/server.js'
import { createGovernor } from '../../src/actors/adaptive-concurrency.js'
import { resumeConnection } from '../../src/cli/resume-connection.js'
import { backoffDelay, DEFAULT_RETRY_POLICY } from '../../src/opencode/retry-policy.js'
import type { AgentExecutor } from '../../src/machines/types.js'
import { waitFor } from '../support/wait.js'

const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ocdw-pool-unit-'))
  cleanups.push(() => rmSync(d, { recursive: true, force: true }))
  return d
}

/** A stand-in for a server's GET /config (what the pool's probe asks), on a given port. */
async function answering(port: number): Promise<Server> {
  const srv = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r))
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())))
  return srv
}

function member(url: string) {
  return { url, client: createOpencodeClient({ baseUrl: url }) }
}

describe('server pool', () => {
  it('sends each agent to the least-loaded server', () => {
    const pool = createServerPool([member('http://127.0.0.1:1'), member('http://127.0.0.1:2'), member('http://127.0.0.1:3')], { directory: tempDir() })
    cleanups.push(() => pool.close())
    const taken = Array.from({ length: 6 }, () => pool.take().url)
    expect(taken).toEqual(['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3', 'http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'])
    pool.give(pool.members[1]!)
    expect(pool.take().url).toBe('http://127.0.0.1:2')
  })

  it('takes out a server that does not answer (its agents move), keeps one that does, and takes it back once it answers', async () => {
    const upPort = await freePort()
    const downPort = await freePort()
    await answering(upPort)
    const up = `http://127.0.0.1:${upPort}`
    const down = `http://127.0.0.1:${downPort}`
    const pool = createServerPool([member(up), member(down)], { directory: tempDir(), probeMs: 50 })
    cleanups.push(() => pool.close())
    const changes: number[] = []
    pool.onChange(() => changes.push(pool.live()))
    // A connection reset on a server that still answers is not a dead server: no move.
    expect(await pool.lost(pool.members[0]!, 'fetch failed')).toBe(false)
    expect(pool.live()).toBe(2)
    expect(await pool.lost(pool.members[1]!, 'fetch failed')).toBe(true)
    expect(pool.live()).toBe(1)
    expect(pool.takeNotes()).toEqual([`OpenCode server ${down} stopped answering (fetch failed); its agents run again on the other 1 server`])
    // While it is out, every agent goes to the one that answers.
    expect([pool.take().url, pool.take().url, pool.take().url]).toEqual([up, up, up])
    await answering(downPort)
    await waitFor('the server to rejoin', () => pool.live() === 2, 10_000)
    expect(pool.takeNotes()).toEqual([`OpenCode server ${down} answers again; agents go to it again`])
    expect(changes).toEqual([1, 2])
    expect(pool.take().url).toBe(down)
  })

  it('never takes out the only server (the retry policy and the infrastructure check decide, as before)', async () => {
    const pool = createServerPool([member(`http://127.0.0.1:${await freePort()}`)], { directory: tempDir() })
    cleanups.push(() => pool.close())
    expect(await pool.lost(pool.members[0]!, 'fetch failed')).toBe(false)
    expect(pool.live()).toBe(1)
  })

  it('when no server answers, says so and does not move the agent', async () => {
    const pool = createServerPool([member(`http://127.0.0.1:${await freePort()}`), member(`http://127.0.0.1:${await freePort()}`)], { directory: tempDir(), probeMs: 60_000 })
    cleanups.push(() => pool.close())
    expect(await pool.lost(pool.members[0]!, 'fetch failed')).toBe(true)
    expect(await pool.lost(pool.members[1]!, 'fetch failed')).toBe(false)
    expect(pool.live()).toBe(0)
    expect(pool.takeNotes()[1]).toMatch(/no server of the pool answers now$/)
  })
})

describe('retry policy', () => {
  it('is data: exponential backoff with a deterministic spread', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ retries: 3, backoffMs: 500, factor: 2, jitter: 0.5 })
    expect(backoffDelay(DEFAULT_RETRY_POLICY, 0)).toBe(375)
    const d1 = backoffDelay(DEFAULT_RETRY_POLICY, 1)
    expect(d1).toBeGreaterThanOrEqual(750)
    expect(d1).toBeLessThan(1250)
  })
})

describe('governor with a pool', () => {
  it('scales every limit with the servers that answer, and says so when one goes out or comes back', () => {
    let live = 3
    let notify = () => {}
    const pool = { size: 3, live: () => live, onChange: (l: () => void) => ((notify = l), () => {}) }
    const limits: [number, string | undefined][] = []
    const governor = createGovernor({ defaultModel: 'p/m', onLimit: (limit, why) => limits.push([limit, why]) })
    const executor = { run: async () => ({ result: 'ok', tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, cost: 0 }), pool } as AgentExecutor
    governor.wrap(executor)
    expect(governor.limit()).toBe(48)
    live = 2
    notify()
    expect(limits.at(-1)).toEqual([32, '2 of 3 OpenCode servers answer; 32 agents may run at once'])
    live = 3
    notify()
    expect(governor.limit()).toBe(48)
  })

  it('leaves a single server as before (16 to start)', () => {
    const governor = createGovernor({ defaultModel: 'p/m', onLimit: () => {} })
    governor.wrap({ run: async () => ({}) as never })
    expect(governor.limit()).toBe(16)
  })
})

describe('server list', () => {
  it('pairs --server-password-env with --server: once for all, or once per server; anything else is a sentence', () => {
    expect(pairServers(['http://a:1', 'http://b:1'], ['P'])).toEqual([
      { url: 'http://a:1', passwordEnv: 'P' },
      { url: 'http://b:1', passwordEnv: 'P' },
    ])
    expect(pairServers(['http://a:1', 'http://b:1'], ['PA', 'PB']).map((s) => s.passwordEnv)).toEqual(['PA', 'PB'])
    expect(() => pairServers(['http://a:1', 'http://b:1', 'http://c:1'], ['PA', 'PB'])).toThrow(/given 2 times for 3 --server URL\(s\); give it once \(for every server\) or once per --server/)
  })

  it("reads `servers` from the user's ocdw.json, reports bad entries, and ignores a project's list", () => {
    const configDir = tempDir()
    const project = tempDir()
    const saved = process.env.OPENCODE_CONFIG_DIR
    process.env.OPENCODE_CONFIG_DIR = configDir
    cleanups.push(() => {
      if (saved === undefined) delete process.env.OPENCODE_CONFIG_DIR
      else process.env.OPENCODE_CONFIG_DIR = saved
    })
    writeFileSync(join(configDir, 'ocdw.json'), JSON.stringify({ servers: ['http://a:4096/', { url: 'https://b:4096', passwordEnv: 'B_PASS' }, { url: 'ftp://c' }, { url: 'http://d:1', passwordEnv: 'not a name' }] }))
    mkdirSync(join(project, '.opencode'))
    writeFileSync(join(project, '.opencode', 'ocdw.json'), JSON.stringify({ servers: ['http://evil.example:4096'] }))
    const list = loadServerList(project)
    expect(list.servers).toEqual([{ url: 'http://a:4096' }, { url: 'https://b:4096', passwordEnv: 'B_PASS' }])
    expect(list.problems).toHaveLength(3)
    expect(list.problems[0]).toMatch(/"servers\[2\]" in .* is ignored \("servers\[2\]" takes an http\(s\) URL/)
    expect(list.problems[1]).toMatch(/"servers\[3\]" .*"passwordEnv" is not the name of an environment variable/)
    expect(list.problems[2]).toMatch(/is ignored: a project cannot choose where your agents run; list servers in your own ocdw.json or pass --server\.$/)
  })

  it('resume connects to the recorded pool (with each password variable name), unless flags say otherwise', () => {
    const servers = [{ url: 'http://a:1', passwordEnv: 'PA' }, { url: 'http://b:1' }]
    expect(resumeConnection({ server: 'http://a:1', servers, model: 'p/m' }, {})).toEqual({ servers, offline: false, model: 'p/m' })
    expect(resumeConnection({ server: 'http://a:1', servers }, { servers: [{ url: 'http://c:1' }] }).servers).toEqual([{ url: 'http://c:1' }])
  })
})
