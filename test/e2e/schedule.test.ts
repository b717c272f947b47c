// `ocdw schedule`: entries in the user's crontab that run a saved workflow non-interactively. The tests never touch a
// real crontab: OCDW_CRONTAB points at a fake `crontab` (a shell script keeping the table in a file of the sandbox),
// and instead of waiting for cron the test runs the installed line's command the way cron would (sh -c, cron's bare
// environment, `\%` unescaped), on the real OpenCode server with the offline model.
import { spawnSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const FAKE_CRONTAB = `#!/bin/sh
# A stand-in for crontab(1): -l prints the table (or "no crontab for <user>", exit 1), - replaces it from stdin.
case "$1" in
  -l) [ -f "$FAKE_CRONTAB_FILE" ] || { echo "no crontab for tester" >&2; exit 1; }; cat "$FAKE_CRONTAB_FILE" ;;
  -) cat > "$FAKE_CRONTAB_FILE" ;;
  *) echo "fake crontab: unsupported $*" >&2; exit 2 ;;
esac
`
const FOREIGN = '# the user\'s own entries stay as they are\nMAILTO=""\n15 * * * * /usr/bin/true 50\\% done\n'

/** What cron does with a line: the command after the five time fields, cut at the first bare %, `\%` -> `%`. */
function cronCommandOf(line: string): string {
  const command = line.trim().split(/\s+/).slice(5).join(' ')
  const cut = command.search(/(?<!\\)%/)
  return (cut >= 0 ? command.slice(0, cut) : command).replace(/\\%/g, '%')
}

describe('ocdw schedule (crontab entries that run a saved workflow)', () => {
  let sb: Sandbox
  let table: string
  let env: NodeJS.ProcessEnv
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => sb.run(args, { env: { ...env, ...extra } })
  const crontab = () => readFileSync(table, 'utf8')
  const workflowFile = () => join(sb.project, '.opencode/workflows/nightly.js')
  /** Runs the installed entry's command as cron would: sh -c with cron's bare environment. */
  const fire = (id: string) => {
    const lines = crontab().split('\n')
    const at = lines.findIndex((l) => l.startsWith('# ocdw-schedule ') && l.includes(`"id":"${id}"`))
    expect(at, `no marker for ${id} in the crontab`).toBeGreaterThanOrEqual(0)
    const cronEnv = { HOME: sb.env.HOME!, LOGNAME: 'tester', PATH: '/usr/bin:/bin', SHELL: '/bin/sh', OCDW_TEST_SANDBOX: sb.root }
    return spawnSync('/bin/sh', ['-c', cronCommandOf(lines[at + 1])], { env: cronEnv, encoding: 'utf8', timeout: 180_000 })
  }

  beforeAll(() => {
    sb = makeSandbox('ocdw-schedule-')
    const bin = join(sb.root, 'crontab')
    writeFileSync(bin, FAKE_CRONTAB)
    chmodSync(bin, 0o755)
    table = join(sb.root, 'crontab.txt')
    writeFileSync(table, FOREIGN)
    env = { OCDW_CRONTAB: bin, FAKE_CRONTAB_FILE: table }
    mkdirSync(join(sb.project, '.opencode/workflows'), { recursive: true })
    writeFileSync(
      workflowFile(),
      "export const meta = { name: 'nightly', description: 'a nightly check', phases: [{ title: 'Check' }] }\nconst out = await agent('check the project for ' + args.what, { label: 'checker' })\nreturn { checked: args.what, out }\n",
    )
  })
  afterAll(() => sb.cleanup())

  let id = ''
  it('add installs a marker and a cron line after the user\'s own entries, and records consent', () => {
    const r = cli(['schedule', 'add', 'nightly', '--cron', '0 3 * * *', '--args', '{"what":"50% of the TODOs"}', '--offline'])
    expect(r.code, r.stderr).toBe(0)
    id = r.stdout.trim()
    expect(id).toMatch(/^sched_[0-9a-f]{6}$/)
    expect(r.stderr).toContain(`scheduled project workflow nightly at "0 3 * * *" in your crontab (${id})`)
    const text = crontab()
    expect(text.startsWith(FOREIGN)).toBe(true)
    const [marker, line, ...rest] = text.slice(FOREIGN.length).split('\n')
    expect(rest).toEqual([''])
    expect(JSON.parse(marker.slice('# ocdw-schedule '.length))).toMatchObject({ id, name: 'nightly', projectDir: sb.project, cron: '0 3 * * *', args: '{"what":"50% of the TODOs"}', flags: ['--offline'] })
    expect(line.startsWith(`0 3 * * * cd '${sb.project}' && `)).toBe(true)
    expect(line).toContain(" run --name 'nightly' --args '{\"what\":\"50\\% of the TODOs\"}' '--offline' >> ")
    expect(line).not.toContain('--yes')
    expect(line).not.toMatch(/(?<!\\)%/)

    const ls = parseJsonOut(cli(['schedule', 'ls', '--json']).stdout)
    expect(ls).toHaveLength(1)
    expect(ls[0]).toMatchObject({ id, name: 'nightly', consent: 'consent recorded' })
    expect(cli(['schedule', 'ls']).stdout).toContain(`${id}  0 3 * * *       nightly  --args {"what":"50% of the TODOs"}  --offline  (consent recorded)`)
  })

  it('the installed command runs the workflow with no terminal and no prompt; the run is an ordinary run in `ocdw ls`', () => {
    const r = fire(id)
    expect(r.status, r.stderr).toBe(0)
    const log = readFileSync(parseJsonOut(cli(['schedule', 'ls', '--json']).stdout)[0].log, 'utf8')
    expect(log).toMatch(/ocdw: run wf_\w+ completed/)
    const runs = parseJsonOut(cli(['ls', '--json']).stdout)
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ name: 'nightly', status: 'completed', args: { what: '50% of the TODOs' } })
    expect(JSON.parse(readFileSync(join(sb.project, '.opencode/workflows/runs', runs[0].id, 'result.json'), 'utf8')).checked).toBe('50% of the TODOs')
  })

  it('a changed script is refused (exit 3) until it is scheduled again, and ls says so', () => {
    writeFileSync(workflowFile(), readFileSync(workflowFile(), 'utf8').replace('check the project', 'delete the project'))
    expect(parseJsonOut(cli(['schedule', 'ls', '--json']).stdout)[0].consent).toMatch(/^script changed since it was scheduled/)
    const r = fire(id)
    expect(r.status).toBe(3)
    const log = readFileSync(parseJsonOut(cli(['schedule', 'ls', '--json']).stdout)[0].log, 'utf8')
    expect(log).toContain('needs approval and there is no terminal to ask in')
    expect(parseJsonOut(cli(['ls', '--json']).stdout)).toHaveLength(1)
  })

  it('rm removes the entry (marker and line) and nothing else; bad input exits 2 with one sentence', () => {
    const twice = cli(['schedule', 'add', 'nightly', '--cron', '@daily'])
    expect(twice.code, twice.stderr).toBe(0)
    const ambiguous = cli(['schedule', 'rm', 'nightly'])
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stderr).toMatch(/"nightly" is scheduled 2 times .*; remove one by its id\./)
    expect(cli(['schedule', 'rm', id]).code).toBe(0)
    expect(cli(['schedule', 'rm', 'nightly']).code).toBe(0)
    expect(crontab()).toBe(FOREIGN)
    expect(cli(['schedule', 'ls']).stdout).toMatch(/^No scheduled runs in this project/)

    const gone = cli(['schedule', 'rm', id])
    expect(gone.code).toBe(2)
    expect(gone.stderr).toMatch(/There is no scheduled run "sched_\w+" in this project/)
    const badCron = cli(['schedule', 'add', 'nightly', '--cron', '0 25 * * *'])
    expect(badCron.code).toBe(2)
    expect(badCron.stderr).toContain('--cron "0 25 * * *" is not a cron expression: the hour field "25" is outside 0-23.')
    const fields = cli(['schedule', 'add', 'nightly', '--cron', 'every day'])
    expect(fields.code).toBe(2)
    expect(fields.stderr).toMatch(/it has 2 fields, and a cron expression has 5/)
    const unknown = cli(['schedule', 'add', 'nope', '--cron', '@daily'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/There is no workflow named "nope"/)
    const noCron = cli(['schedule', 'add', 'nightly', '--cron', '@daily'], { OCDW_CRONTAB: join(sb.root, 'no-such-crontab') })
    expect(noCron.code).toBe(2)
    expect(noCron.stderr).toMatch(/The crontab program \(.*no-such-crontab\) was not found; install cron/)
    expect(crontab()).toBe(FOREIGN)
  })

  it('a workflow that calls a sub-workflow runs from cron too: consent covers the sub-workflow, and an edited one is refused', () => {
    const dir = join(sb.project, '.opencode/workflows')
    writeFileSync(join(dir, 'helper.js'), "export const meta = { name: 'helper' }\nreturn 'helped ' + args\n")
    writeFileSync(join(dir, 'caller.js'), "export const meta = { name: 'caller' }\nreturn await workflow('helper', 'twice')\n")
    const added = cli(['schedule', 'add', 'caller', '--cron', '30 4 * * *', '--offline'])
    expect(added.code, added.stderr).toBe(0)
    const callerId = added.stdout.trim()
    const entry = () => parseJsonOut(cli(['schedule', 'ls', '--json']).stdout).find((e: { id: string }) => e.id === callerId)
    expect(entry().consent).toBe('consent recorded')
    const r = fire(callerId)
    expect(r.status, readFileSync(entry().log, 'utf8')).toBe(0)
    const run = parseJsonOut(cli(['ls', '--json']).stdout).find((x: { name: string }) => x.name === 'caller')
    expect(JSON.parse(readFileSync(join(sb.project, '.opencode/workflows/runs', run.id, 'result.json'), 'utf8'))).toBe('helped twice')

    writeFileSync(join(dir, 'helper.js'), "export const meta = { name: 'helper' }\nreturn 'changed ' + args\n")
    expect(entry().consent).toMatch(/^script changed since it was scheduled/)
    expect(fire(callerId).status).toBe(3)
    expect(cli(['schedule', 'rm', callerId]).code).toBe(0)
    expect(crontab()).toBe(FOREIGN)
  })
})
