// An isolated OpenCode installation for driving the real `opencode` binary (TUI, `opencode run`, `opencode serve`)
// with the ocdw plugin and the offline model: a temp HOME/XDG tree whose global config makes the offline model the
// only provider, loads the built plugin, and sets the permissions the test asks for.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { freePort, resolveOpencodeBinary } from '../../src/opencode/server.js'
import type { OfflineRule } from '../../src/offline/rules.js'
import { startOfflineModel, type OfflineModel } from '../../src/offline/server.js'
import { isolatedEnv, offlineOpencodeConfig } from '../../src/offline/testbed.js'
import { waitFor } from './wait.js'

export const PLUGIN_URL = pathToFileURL(join(__dirname, '../../dist/plugin/index.js')).href

export interface OpencodeHome {
  env: NodeJS.ProcessEnv
  bin: string
  model: OfflineModel
  logFile: string
  /** The offline model's log: one line per model request (lastUser, offered tools, system prompt). */
  log(): { lastUser: string; kind: string; tools: string[]; system?: string }[]
  stop(): Promise<void>
}

/** `root` holds home/ and the model log; `project` is where OpenCode runs (PWD too: OpenCode reads it). */
export async function makeOpencodeHome(root: string, project: string, o: { rules: OfflineRule[]; permission?: Record<string, unknown> }): Promise<OpencodeHome> {
  const home = join(root, 'oc-home')
  const logFile = join(root, 'offline-model.log')
  const model = await startOfflineModel({ rules: o.rules, logFile, logSystem: true })
  const env: NodeJS.ProcessEnv = { ...isolatedEnv(home), PWD: project, OCDW_TEST_SANDBOX: root, TERM: 'xterm-256color' }
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'] as const) mkdirSync(env[key]!, { recursive: true })
  const config = offlineOpencodeConfig(model.url)
  config.plugin = [PLUGIN_URL]
  config.permission = { ...(config.permission as Record<string, unknown>), ...o.permission }
  mkdirSync(join(env.XDG_CONFIG_HOME!, 'opencode'), { recursive: true })
  writeFileSync(join(env.XDG_CONFIG_HOME!, 'opencode', 'opencode.json'), JSON.stringify(config, null, 2))
  return {
    env,
    bin: resolveOpencodeBinary(),
    model,
    logFile,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []),
    stop: () => model.stop(),
  }
}

export interface ServeProcess {
  url: string
  child: ChildProcess
  output(): string
  stop(): Promise<void>
}

/** `opencode serve` on a free loopback port with the given extra environment (e.g. a server password). */
export async function serve(h: OpencodeHome, cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const port = await freePort()
  const child = spawn(h.bin, ['serve', '--hostname', '127.0.0.1', '--port', String(port)], { cwd, env: { ...h.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  await waitFor('opencode serve to listen', () => out.includes('listening on') || child.exitCode !== null, 90_000)
  if (child.exitCode !== null) throw new Error(`opencode serve exited: ${out}`)
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    stop: async () => {
      const gone = () => child.exitCode !== null || child.signalCode !== null
      if (gone()) return
      const exited = new Promise((r) => child.once('exit', r))
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        /* gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (!gone()) {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          /* gone meanwhile */
        }
      }
    },
  }
}

/** Runs the opencode binary to completion (e.g. `opencode run ...`). */
export function runOpencode(h: OpencodeHome, cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): Promise<{ code: number; output: string }> {
  const child = spawn(h.bin, args, { cwd, env: { ...h.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      /* gone */
    }
  }, timeoutMs)
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, output })
    }),
  )
}
