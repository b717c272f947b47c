// How the plugin adapts to the OpenCode process it is loaded in: the client it builds from the one OpenCode hands
// over (its fetch reaches an in-process server, its headers carry the server's password), the approval mode (only
// from the plugin's options), and the one-shot `opencode run` detection that keeps `background` off there.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { approvalPattern, approvalSummary, approveInOpencode, scriptHash } from '../../src/plugin/approval.js'
import { pluginClient } from '../../src/plugin/client.js'
import { isOneShotRun, pluginMode } from '../../src/plugin/index.js'

function handedClient(config: Record<string, unknown>) {
  return { _client: { getConfig: () => config } } as never
}

describe('pluginClient', () => {
  it("goes through the handed client's own fetch (the in-process server) with its auth header", async () => {
    const seen: Request[] = []
    const fetch = async (req: Request) => {
      seen.push(req)
      return new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const client = pluginClient(
      {
        client: handedClient({ baseUrl: 'http://localhost:4096', fetch, headers: new Headers({ authorization: 'Basic c2VjcmV0', 'x-opencode-directory': '%2Fother' }) }),
        serverUrl: new URL('http://localhost:4096/'),
        directory: '/project',
      },
      {},
    )
    await client.session.list({ directory: '/project' })
    expect(seen).toHaveLength(1)
    expect(seen[0].url).toMatch(/^http:\/\/localhost:4096\/session\?/)
    expect(seen[0].headers.get('authorization')).toBe('Basic c2VjcmV0')
    expect(new URL(seen[0].url).searchParams.get('directory')).toBe('/project')
  })

  it('falls back to serverUrl and the server password from the environment when the handed client has no config', async () => {
    const real = globalThis.fetch
    const seen: Request[] = []
    globalThis.fetch = (async (req: Request) => {
      seen.push(req)
      return new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } })
    }) as typeof fetch
    try {
      const client = pluginClient({ client: {} as never, serverUrl: new URL('http://127.0.0.1:5555/'), directory: '/p' }, { OPENCODE_SERVER_PASSWORD: 'pw' })
      await client.session.list({ directory: '/p' })
    } finally {
      globalThis.fetch = real
    }
    expect(seen[0].url).toMatch(/^http:\/\/127\.0\.0\.1:5555\/session/)
    expect(seen[0].headers.get('authorization')).toBe(`Basic ${Buffer.from('opencode:pw').toString('base64')}`)
  })
})

describe('pluginMode', () => {
  it('comes from the plugin options only; a bad value is a sentence', () => {
    expect(pluginMode(undefined)).toBe('default')
    expect(pluginMode({ mode: 'bypass' })).toBe('bypass')
    expect(() => pluginMode({ mode: 'yolo' })).toThrow('The ocdw plugin option "mode" is "yolo"; use "default", "auto" or "bypass" in opencode.json.')
  })
})

describe('isOneShotRun', () => {
  it('is true for `opencode run ...` only', () => {
    expect(isOneShotRun(['/$bunfs/root/opencode', 'run', '--command', 'workflow', 'task'])).toBe(true)
    expect(isOneShotRun(['bun', '/$bunfs/root/opencode', 'run', 'hello'])).toBe(true)
    expect(isOneShotRun(['/$bunfs/root/opencode', 'serve', '--port', '4096'])).toBe(false)
    expect(isOneShotRun(['/$bunfs/root/opencode'])).toBe(false)
    expect(isOneShotRun(['/$bunfs/root/opencode', '/some/project'])).toBe(false)
  })
})

describe('approval: the script for review and the "always" pattern', () => {
  const meta = { name: 'w*?', description: 'desc', phases: [{ title: 'One' }] }
  const noCtx = {} as never

  it('writes the full script under .opencode/workflows/approvals, never through a planted symlink', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ocdw-approval-'))
    try {
      const plain = join(root, 'plain')
      mkdirSync(plain)
      const ok = await approveInOpencode('bypass', noCtx, { projectDir: plain, meta, source: 'return 1' })
      expect(ok.how).toBe('bypass')
      expect(readFileSync(ok.scriptFile!, 'utf8')).toBe('return 1')
      expect(ok.scriptFile!.startsWith(join(plain, '.opencode', 'workflows', 'approvals'))).toBe(true)

      const victim = join(root, 'victim')
      const planted = join(root, 'planted')
      mkdirSync(victim)
      mkdirSync(join(planted, '.opencode', 'workflows'), { recursive: true })
      symlinkSync(victim, join(planted, '.opencode', 'workflows', 'approvals'))
      const refused = await approveInOpencode('bypass', noCtx, { projectDir: planted, meta, source: 'return 2' })
      expect(refused.scriptFile).toBeUndefined()
      expect(readdirSync(victim)).toEqual([])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('the pattern ends with the sha256 and cannot carry wildcards', () => {
    const hash = scriptHash('x')
    const pattern = approvalPattern(approvalSummary({ projectDir: '/p', meta, source: 'x' }), hash)
    expect(pattern.endsWith(` sha256:${hash}`)).toBe(true)
    expect(pattern).not.toMatch(/[*?]/)
    expect(pattern).toContain('workflow w: desc; phases One')
  })

  it('the summary OpenCode shows as title and toast carries no terminal control sequence from the script', () => {
    const evil = { name: 'w\u001b]52;c;AAAA\u0007', description: 'clear\u001b[2J\nnext', phases: [{ title: 'One\u009b31m' }] }
    const summary = approvalSummary({ projectDir: '/p', meta: evil as typeof meta, source: 'x', subWorkflows: { 'sub\u001b[1A': 'return 1' } })
    expect(summary).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    expect(summary).toContain('workflow w: clear next; phases One')
    expect(summary).toMatch(/calls sub-workflow sub$/)
  })
})
