// Running the built CLI as a user types it, in a temp project with HOME/XDG in a temp dir (so consent files and
// OpenCode config never touch the real user's). Also finds and kills any `opencode serve` a killed CLI left behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const BIN = resolve(__dirname, '../../bin/ocdw.js')

export interface Sandbox {
  root: string
  project: string
  env: NodeJS.ProcessEnv
  run(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): { code: number; stdout: string; stderr: string }
  spawn(args: string[], opts?: { env?: NodeJS.ProcessEnv }): ChildProcess & { output(): { stdout: string; stderr: string } }
  /** Like run(), without blocking this process (needed when this process serves the offline model). */
  runAsync(args: string[], opts?: { env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }>
  cleanup(): void
}

export function makeSandbox(prefix = 'ocdw-e2e-'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), prefix))
  const project = join(root, 'project')
  const home = join(root, 'home')
  mkdirSync(project, { recursive: true })
  mkdirSync(home, { recursive: true })
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local/state'),
    OCDW_TEST_SANDBOX: root,
    NO_COLOR: '1',
  }
  delete env.OPENCODE_SERVER_URL
  delete env.OPENCODE_CONFIG_DIR
  return {
    root,
    project,
    env,
    run(args, opts = {}) {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        cwd: project,
        env: { ...env, ...opts.env },
        input: opts.input ?? '',
        encoding: 'utf8',
        timeout: opts.timeoutMs ?? 180_000,
      })
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
    },
    spawn(args, opts = {}) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: project, env: { ...env, ...opts.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout!.on('data', (d) => (stdout += d))
      child.stderr!.on('data', (d) => (stderr += d))
      return Object.assign(child, { output: () => ({ stdout, stderr }) })
    },
    runAsync(args, opts = {}) {
      const child = this.spawn(args, opts)
      return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, ...child.output() })))
    },
    cleanup() {
      killLeftovers(root)
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** Pids of processes started with this sandbox's env marker (e.g. an `opencode serve` a killed CLI left behind). */
export function leftovers(root: string): number[] {
  const out: number[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
      if (environ.includes(`OCDW_TEST_SANDBOX=${root}\0`) || environ.includes(`HOME=${root}/`)) out.push(Number(pid))
    } catch {
      /* gone, or not ours */
    }
  }
  return out
}

/** Kills processes (an orphaned `opencode serve` after a kill -9 of its CLI) started with this sandbox's env marker. */
export function killLeftovers(root: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
      if (environ.includes(`OCDW_TEST_SANDBOX=${root}\0`) || environ.includes(`HOME=${root}/`)) process.kill(Number(pid), 'SIGKILL')
    } catch {
      /* gone, or not ours */
    }
  }
}

export function parseJsonOut(stdout: string): any {
  try {
    return JSON.parse(stdout)
  } catch {
    throw new Error(`stdout is not JSON:\n${stdout}`)
  }
}
