// check_alerts.js RECEIVED.jsonl MODE
//
// Reads what sub_client.js received and checks it the way Falco's alert
// consumers parse Falco's gRPC alerts: MODE "text" — `output` is Falco's
// line, "HH:MM:SS.nnnnnnnnn: Priority message", its priority word the
// response's priority; MODE "json" (json_output) — `output` is Falco's JSON
// object with its keys, output_fields carrying evt.time in ns. Either way
// output_fields (a string map, as Falco's) carries evt.time.
'use strict';
const fs = require('fs');
const [file, mode] = process.argv.slice(2);
const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
const fail = (m) => { console.error('FAIL: ' + m); process.exit(1); };
const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];
// The prefix regex Falco consumers use on text alerts.
const TEXT = /^(\d{2}:\d{2}:\d{2}\.\d{9}): (Emergency|Alert|Critical|Error|Warning|Notice|Informational|Debug) (.*)$/;

if (lines.length !== 3) fail('expected 2 alerts and END, got ' + lines.length + ' lines');
if (lines[2] !== 'END 0') fail('stream did not end cleanly: ' + lines[2]);
const a = JSON.parse(lines[0]), b = JSON.parse(lines[1]);
if (a.rule !== 'Sensitive File Read By Untrusted Program') fail('first rule ' + a.rule);
if (a.priority.toLowerCase() !== 'warning') fail('first priority ' + a.priority);
if (a.output_fields['fd.name'] !== '/etc/shadow') fail('fd.name ' + a.output_fields['fd.name']);
if (a.source !== 'syscall') fail('source ' + a.source);
if (String(a.source_deprecated).toLowerCase() !== 'syscall') fail('source_deprecated ' + a.source_deprecated);
if (a.time_seconds !== 1764417418 || a.time_nanos !== 3) fail('time ' + a.time_seconds + '.' + a.time_nanos);
if (b.rule !== 'Shell Spawned By Network Service' || b.priority.toLowerCase() !== 'critical') fail('second ' + lines[1]);

for (const r of [a, b]) {
  const word = PRIORITIES.find((p) => p.toLowerCase() === r.priority.toLowerCase());
  if (mode === 'text') {
    const m = TEXT.exec(r.output);
    if (!m) fail('output is not Falco\'s text line: ' + r.output);
    if (m[2] !== word) fail('priority word ' + m[2] + ' but priority ' + r.priority);
    if (r.output_fields['evt.time'] !== m[1]) fail('evt.time ' + r.output_fields['evt.time'] + ' vs prefix ' + m[1]);
  } else {
    let j;
    try { j = JSON.parse(r.output); } catch (e) { fail('output is not JSON: ' + r.output); }
    for (const k of ['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time'])
      if (!(k in j)) fail('JSON output lacks ' + k + ': ' + r.output);
    if (j.rule !== r.rule || j.priority !== word) fail('JSON rule/priority ' + j.rule + '/' + j.priority);
    if (!TEXT.test(j.output)) fail('JSON output is not Falco\'s text line: ' + j.output);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/.test(j.time)) fail('JSON time ' + j.time);
    if (typeof j.output_fields['evt.time'] !== 'number') fail('JSON evt.time ' + j.output_fields['evt.time']);
    if (typeof r.output_fields['evt.time'] !== 'string' || !/^\d{2}:\d{2}:\d{2}\.\d{9}$/.test(r.output_fields['evt.time']))
      fail('gRPC evt.time ' + r.output_fields['evt.time']);
  }
}
console.log('node client (' + mode + '): OK');
