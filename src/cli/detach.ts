// `--detach`: re-launch this CLI in the background on the approved script, wait until the child has created its run
// (it prints the id on stderr), print the run id, and leave it running.
import { spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXIT } from './errors.js'
import type { RunFlags } from './options.js'

export async function detachRun(o: { projectDir: string; source: string; flags: RunFlags }): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ocdw-detach-'))
  const scriptFile = join(dir, 'script.js')
  writeFileSync(scriptFile, o.source)
  const logFile = join(dir, 'output.log')
  const args = [process.argv[1], 'run', '--script', scriptFile, '--yes']
  const f = o.flags
  if (f.args !== undefined) args.push('--args', f.args)
  for (const url of [f.server ?? []].flat()) args.push('--server', url)
  for (const name of [f.serverPasswordEnv ?? []].flat()) args.push('--server-password-env', name)
  if (f.offline) args.push('--offline')
  if (f.model) args.push('--model', f.model)
  if (f.concurrency) args.push('--concurrency', f.concurrency)
  if (f.maxAgents) args.push('--max-agents', f.maxAgents)
  if (f.budget) args.push('--budget', f.budget)
  const sessions = (f as { sessions?: string }).sessions
  if (sessions && sessions !== 'keep') args.push('--sessions', sessions)
  const out = openSync(logFile, 'a')
  const child = spawn(process.execPath, args, { cwd: o.projectDir, detached: true, stdio: ['ignore', out, out], env: process.env })
  child.unref()
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, 'utf8')
    const m = /ocdw: run (wf_\w+)/.exec(text)
    if (m) {
      if (f.json) process.stdout.write(JSON.stringify({ runId: m[1], status: 'running', pid: child.pid, log: logFile }) + '\n')
      else process.stdout.write(`${m[1]}\n`)
      process.stderr.write(`ocdw: run ${m[1]} continues in the background (pid ${child.pid}, output in ${logFile}); watch it with \`ocdw ui\` or \`ocdw show ${m[1]}\`\n`)
      return EXIT.completed
    }
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 100))
  }
  process.stderr.write(`ocdw: the background run did not start; its output:\n${readFileSync(logFile, 'utf8')}`)
  return EXIT.failed
}
