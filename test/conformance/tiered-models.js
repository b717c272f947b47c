// expect: {"notes":3,"review":"string","report":"string"}
// parity: P-MODEL-1 P-PIPE-2
// e2e
export const meta = { name: 'tiered-models', description: 'cheap readers, a mid-tier reviewer, an expensive synthesis', phases: [{ title: 'Read' }, { title: 'Review' }, { title: 'Synthesise' }] }
phase('Read')
const areas = ['parser', 'cache', 'cli']
const notes = await parallel(areas.map((a) => () => agent(`Read the ${a} module and note anything odd.`, { model: 'haiku', label: `read ${a}` })))
phase('Review')
const review = await agent(`Review these notes:\n${notes.join('\n')}`, { model: 'sonnet', label: 'review' })
phase('Synthesise')
const report = await agent(`Write the final report from this review:\n${review}`, { model: 'opus', label: 'report' })
return { notes: notes.filter((n) => typeof n === 'string' && n.length > 0).length, review: typeof review, report: typeof report }
