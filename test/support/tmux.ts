// Driving a terminal program under tmux (a real pseudo-terminal): start it, wait for text, send keys.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, type Sandbox } from './cli.js'

export interface TmuxSession {
  name: string
  capture(): string
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>
  keys(...keys: string[]): void
  type(text: string): void
  kill(): void
}

let counter = 0

export function startTmux(command: string, o: { cwd: string; env: NodeJS.ProcessEnv; width?: number; height?: number }): TmuxSession {
  const name = `ocdw-test-${process.pid}-${counter++}`
  // tmux starts the command through the server's environment: pass ours explicitly with `env`.
  const envArgs = Object.entries(o.env)
    .filter(([k, v]) => v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `${k}=${shellQuote(v!)}`)
    .join(' ')
  execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', String(o.width ?? 120), '-y', String(o.height ?? 40), '-c', o.cwd, `env -i ${envArgs} ${command}; sleep 600`])
  const session: TmuxSession = {
    name,
    capture: () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-200', '-t', name], { encoding: 'utf8' }),
    async waitFor(pattern, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const text = session.capture()
        if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text
        if (Date.now() > end) throw new Error(`timed out waiting for ${pattern} in the terminal:\n${text}`)
        await new Promise((r) => setTimeout(r, 150))
      }
    },
    keys: (...keys) => execFileSync('tmux', ['send-keys', '-t', name, ...keys]),
    type: (text) => execFileSync('tmux', ['send-keys', '-t', name, '-l', text]),
    kill: () => {
      try {
        execFileSync('tmux', ['kill-session', '-t', name], { stdio: 'ignore' })
      } catch {
        /* already gone */
      }
    },
  }
  return session
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** Runs `ocdw <args>` in a tmux terminal of the sandbox; the exit code lands in `exitFile` (read it with exitCodeIn). */
export function ocdwInTmux(sb: Sandbox, args: string, env: NodeJS.ProcessEnv = {}): { tmux: TmuxSession; exitFile: string } {
  const exitFile = join(sb.root, `exit-${process.pid}-${counter}`)
  const tmux = startTmux(`sh -c ${shellQuote(`node ${BIN} ${args}; echo EXIT=$? > ${exitFile}`)}`, { cwd: sb.project, env: { ...sb.env, ...env } })
  return { tmux, exitFile }
}

/** Waits for the exit code an ocdwInTmux command wrote. */
export async function exitCodeIn(file: string, timeoutMs = 120_000): Promise<number> {
  const end = Date.now() + timeoutMs
  while (!existsSync(file) || !readFileSync(file, 'utf8').includes('EXIT=')) {
    if (Date.now() > end) throw new Error('the CLI did not exit')
    await new Promise((r) => setTimeout(r, 150))
  }
  return Number(readFileSync(file, 'utf8').trim().slice(5))
}
