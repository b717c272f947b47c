// expect: {"changed":"string","ok":true,"exitCode":0}
// parity: P-BEYOND-3
export const meta = { name: 'gate-check' }
const change = await agent('make the change')
const g = await gate('npm test')
return { changed: typeof change, ok: g.ok, exitCode: g.exitCode }
