// expect: {"text":"string","nested":{"list":[1,"two",null,true],"empty":{}}}
// parity: P-SCRIPT-6
export const meta = { name: 'json-result' }
const r = await agent('summarise')
return { text: typeof r, nested: { list: [1, 'two', null, true], empty: {} }, undef: undefined }
