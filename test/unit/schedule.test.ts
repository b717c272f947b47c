// The crontab entries of `ocdw schedule` (pure parts): cron expression checks, quoting for sh and cron's `%`, and
// removing our entries without touching the user's lines.
import { describe, expect, it } from 'vitest'
import { appendLines, cronProblem, entryLines, parseEntries, removeEntries, shellWord, type ScheduleEntry } from '../../src/store/schedule.js'

describe('schedule entries', () => {
  it('accepts the usual cron forms and names what is wrong with the rest', () => {
    for (const ok of ['0 3 * * *', '*/15 9-17 * * mon-fri', '0 0 1,15 jan,jul *', '@daily', '5 4 * * 7']) expect(cronProblem(ok), ok).toBeUndefined()
    expect(cronProblem('0 3 * *')).toMatch(/has 4 fields/)
    expect(cronProblem('60 3 * * *')).toBe('the minute field "60" is outside 0-59')
    expect(cronProblem('0 3 0 * *')).toBe('the day of month field "0" is outside 1-31')
    expect(cronProblem('0 3 * * funday')).toMatch(/day of week field "funday" is outside 0-7/)
    expect(cronProblem('*/0 * * * *')).toMatch(/step of 0/)
    expect(cronProblem('0 3 * * *; rm -rf /')).toBeDefined()
  })

  it('quotes words for sh and escapes % for cron', () => {
    expect(shellWord("it's 50%")).toBe("'it'\\''s 50\\%'")
  })

  it('removes only the marker and the line of the given entry', () => {
    const e = (id: string): ScheduleEntry => ({ id, name: 'n', projectDir: '/p', cron: '@daily', flags: [], log: '/l', createdAt: 1 })
    const mine = '# mine\n0 1 * * * true\n'
    const withTwo = appendLines(appendLines(mine, entryLines(e('sched_a'), 'cmd a')), entryLines(e('sched_b'), 'cmd b'))
    expect(parseEntries(withTwo).map((x) => x.id)).toEqual(['sched_a', 'sched_b'])
    const left = removeEntries(withTwo, ['sched_a'])
    expect(left).toBe(`${mine}# ocdw-schedule ${JSON.stringify(e('sched_b'))}\n@daily cmd b\n`)
    expect(removeEntries(left, ['sched_b'])).toBe(mine)
  })
})
