// expect: ["string","string"]
// parity: P-AGENT-9 P-AGENT-11
export const meta = { name: 'effort-and-timeout' }
const deep = await agent('think hard about it', { effort: 'high', timeoutMs: 600000 })
const quick = await agent('answer fast', { effort: 'low' })
return [typeof deep, typeof quick]
