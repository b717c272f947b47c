// expect: ["string","string","string"]
// parity: P-PHASE-1 P-AGENT-7 P-SCRIPT-2
export const meta = { name: 'phases-and-labels', description: 'phases group agents', phases: [{ title: 'Survey', detail: 'what is there' }, { title: 'Act' }] }
phase('Survey')
const s = await agent('survey the repo', { label: 'survey' })
phase('Act')
const a = await agent('act on it', { label: 'act' })
const v = await agent('verify out of band', { label: 'verify', phase: 'Verify' })
return [s, a, v].map((x) => typeof x)
