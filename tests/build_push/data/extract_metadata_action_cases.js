// Extract the test.each tables of metadata-action's __tests__/meta.test.ts as JSON.
// usage: node extract_metadata_action_cases.js meta.test.ts cases.json
const fs = require('fs');
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
const out = [];
let describe = null;
for (let i = 0; i < lines.length; i++) {
  const d = lines[i].match(/^describe\('([^']+)'/);
  if (d) describe = d[1];
  if (!/^\s*test\.each\(\[/.test(lines[i])) continue;
  let j = i + 1;
  const body = [];
  while (!/^\s*\]\)\(/.test(lines[j])) { body.push(lines[j]); j++; }
  const text = ('[' + body.join('\n') + ']').replace(/\bas (Inputs|Version|string\[\]|Array<string>)/g, '');
  // The tables are literal data of the upstream test file (no calls).
  for (const c of eval(text)) out.push({describe, case: c});
  i = j;
}
fs.writeFileSync(process.argv[3], JSON.stringify(out, null, 1));
console.log(out.length + ' cases');
