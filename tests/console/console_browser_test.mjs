// The web console in Debian's chromium (headless), driven over the
// DevTools protocol, against a running Kestrel on the live eBPF source.
//
// The store is first filled by a replay of tests/fixtures/kcap/host.kcap.gz
// (the alerts it prints are what the filters are checked against), then a
// live Kestrel serves the console on that store. The test checks that
//   - an alert raised live (cat /etc/shadow, with a unique token in its
//     command line) appears in the feed within 2 s of the command,
//   - a filter in the URL narrows the list to exactly the matching alerts
//     (rule=…, min_priority=…), read from the DOM,
//   - the detail view shows an alert's fields, the fleet table this node,
//   - the fleet table shows a remote node's row (its kernel and source):
//     the live Kestrel is a central on one `nats-server -js` (a loopback
//     port, its store in WORK_DIR) and a replaying node (node-r) publishes
//     its status there, as in console_fleet_test.py,
// and saves screenshots (console.png, console_filtered.png) in WORK_DIR.
// Fails, never skips, without nats-server.
//
// usage: node --experimental-websocket console_browser_test.mjs KESTREL FIXTURES_DIR WORK_DIR
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [KESTREL, FIXTURES, WORK] = process.argv.slice(2);
const failures = [];
const check = (cond, what) => { if (!cond) { failures.push(what); console.log('FAIL:', what); } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function until(what, fn, timeoutMs = 15000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(everyMs);
  }
}

// A minimal DevTools protocol client over the browser's WebSocket.
class Cdp {
  constructor(url) { this.url = url; this.next = 1; this.pending = new Map(); }
  open() {
    this.ws = new WebSocket(this.url);
    this.ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      const p = msg.id && this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(JSON.stringify(msg.error))); else p.resolve(msg.result);
    };
    return new Promise((resolve, reject) => { this.ws.onopen = resolve; this.ws.onerror = reject; });
  }
  send(method, params = {}) {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  async eval(expr) {
    const r = await this.send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(expr + ': ' + JSON.stringify(r.exceptionDetails));
    return r.result.value;
  }
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  const store = path.join(WORK, 'browser_test.db');
  for (const s of ['', '-wal', '-shm']) fs.rmSync(store + s, { force: true });

  // The store's known contents: a replay of the fixture capture.
  const replay = spawnSync(KESTREL, ['-e', path.join(FIXTURES, 'host.kcap.gz'), '-r', path.join(FIXTURES, 'host.yaml'),
    '-o', 'json_output=true', '-o', 'store.replays=true', '-o', `store.path=${store}`], { encoding: 'utf8' });
  if (replay.status !== 0) throw new Error('replay failed: ' + replay.stderr);
  const printed = replay.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  if (printed.length < 100) throw new Error(`the replay printed ${printed.length} alerts`);

  // The bus: one nats-server with JetStream on a loopback port.
  const natsPort = await freePort(), natsHttp = await freePort();
  const jetstream = path.join(WORK, 'jetstream');
  fs.rmSync(jetstream, { recursive: true, force: true });
  const nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-m', String(natsHttp),
    '-sd', jetstream], { stdio: 'ignore' });
  children.push(nats);
  const natsFailed = new Promise((resolve) => nats.once('error', resolve));
  await Promise.race([
    until('nats-server', () => fetch(`http://127.0.0.1:${natsHttp}/healthz`).then((r) => r.ok, () => false), 15000, 100),
    natsFailed.then((e) => { throw new Error('nats-server (Debian package nats-server): ' + e.message); })]);
  const bus = ['-o', `nats.servers=[nats://127.0.0.1:${natsPort}]`, '-o', 'nats.status_interval=1s'];

  // The live collector serving the console, a central consuming the bus.
  const port = await freePort();
  const kestrel = spawn(KESTREL, ['-o', 'webserver.enabled=true', '-o', `webserver.listen_port=${port}`,
    '-o', `store.path=${store}`, '-o', 'nats.consume_alerts=true', '-o', 'nats.publish_alerts=false', ...bus],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(kestrel);
  let kestrelLog = '';
  kestrel.stderr.on('data', (d) => { kestrelLog += d; });
  kestrel.stdout.on('data', () => {});
  await until('kestrel capturing', () => kestrelLog.includes('capturing'), 30000, 100)
    .catch((e) => { throw new Error(e.message + ': ' + kestrelLog); });
  const base = `http://127.0.0.1:${port}`;

  // Chromium, headless, with the DevTools protocol on a port of its choosing.
  const profile = path.join(WORK, 'chromium-profile');
  fs.rmSync(profile, { recursive: true, force: true });
  const chromium = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=1400,1000', 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(chromium);
  let chromiumLog = '';
  chromium.stderr.on('data', (d) => { chromiumLog += d; });
  const browserWs = await until('DevTools endpoint', () => /DevTools listening on (ws:\S+)/.exec(chromiumLog), 30000, 100)
    .catch((e) => { throw new Error(e.message + ': ' + chromiumLog); });
  const devtools = new URL(browserWs[1]);
  const targets = await (await fetch(`http://${devtools.host}/json/list`)).json();
  const page = targets.find((t) => t.type === 'page');
  const cdp = new Cdp(page.webSocketDebuggerUrl);
  await cdp.open();
  await cdp.send('Page.enable');
  await cdp.send('Runtime.enable');

  const rows = `[...document.querySelectorAll('#alerts tbody tr')]`;
  async function load(query) {
    await cdp.send('Page.navigate', { url: base + '/' + query });
    // Loaded: the count line is written once the first page arrived.
    await until('the list of ' + query, () => cdp.eval(
      `document.readyState === 'complete' && document.querySelector('#alert-count').textContent.startsWith('(')`));
  }

  // 1. The live feed: an alert raised now is in the list within 2 s.
  await load('?range=all');
  await until('feed live', () => cdp.eval(`document.querySelector('#feed-status').textContent === 'feed: live'`));
  const unfiltered = await cdp.eval(`${rows}.length`);
  check(unfiltered >= 100, `unfiltered list shows ${unfiltered} rows (a page of 100)`);
  const token = 'kestrel-console-' + randomBytes(6).toString('hex');
  const raisedAt = Date.now();
  spawnSync('cat', ['/etc/shadow', '/nonexistent/' + token], { stdio: 'ignore' });
  const received = await until('the live alert in the feed', () => cdp.eval(
    `(${rows}.find((tr) => tr.classList.contains('live') && tr.textContent.includes('${token}')) || {}).dataset?.received`),
  10000, 20).catch(() => null);
  check(received !== null, 'the live alert reached the feed');
  if (received !== null) {
    const latency = Number(received) - raisedAt;
    console.log(`live alert in the feed ${latency} ms after the command`);
    check(latency <= 2000, `live alert took ${latency} ms (> 2000)`);
  }
  await sleep(500);
  await cdp.send('Page.bringToFront');
  const shot = await cdp.send('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(path.join(WORK, 'console.png'), Buffer.from(shot.data, 'base64'));

  // 2. Filters in the URL narrow the list, read from the DOM.
  const rule = 'Fixture File Closed';
  const wantRule = printed.filter((a) => a.rule === rule).length;
  await load('?range=all&rule=' + encodeURIComponent(rule));
  const got = await cdp.eval(`${rows}.map((tr) => tr.dataset.rule)`);
  check(got.length === wantRule && got.every((r) => r === rule),
    `rule filter: ${got.length} rows (${[...new Set(got)]}), the replay printed ${wantRule}`);
  check(await cdp.eval(`document.querySelector('#filters').elements.rule.value`) === rule, 'the form shows the URL filter');
  const order = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];
  const wantSevere = printed.filter((a) => order.indexOf(a.priority) <= order.indexOf('Error')).length;
  await load('?range=all&min_priority=Error&source=syscall');
  const severe = await cdp.eval(`${rows}.map((tr) => tr.children[1].textContent)`);
  check(severe.length === wantSevere && severe.every((p) => order.indexOf(p) <= order.indexOf('Error')),
    `min_priority=Error: ${severe.length} rows, the replay printed ${wantSevere}`);
  const fshot = await cdp.send('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(path.join(WORK, 'console_filtered.png'), Buffer.from(fshot.data, 'base64'));

  // 3. The detail view and the fleet table.
  const id = await cdp.eval(`${rows}[0].dataset.id`);
  await load(`?range=all&min_priority=Error#alert=${id}`);
  const detail = await until('the detail view', () => cdp.eval(
    `!document.querySelector('#detail').hidden && document.querySelector('#detail-fields').textContent`));
  check(detail.includes('rule') && detail.includes('proc.name'), 'the detail view lists the alert and its fields');
  const host = printed[0].hostname;
  const fleet = await until('the fleet table', () => cdp.eval(
    `(document.querySelector('#nodes tbody tr[data-host="${host}"]') || {}).textContent`));
  check(fleet.includes('this node') && fleet.includes('ebpf'), `fleet table row for ${host}: ${fleet}`);

  // 4. A remote node's row: node-r replays the fixture and publishes its
  // status (a capture, on this kernel) to the central.
  const remote = spawnSync(KESTREL, ['-e', path.join(FIXTURES, 'host.kcap.gz'), '-r', path.join(FIXTURES, 'host.yaml'),
    '-o', 'nats.node=node-r', '-o', 'nats.publish_alerts=false', '-o', 'stdout_output.enabled=false', ...bus],
  { encoding: 'utf8', timeout: 60000 });
  if (remote.status !== 0) throw new Error('the remote node failed: ' + remote.stderr);
  // The page reads /api/state when loaded: reload until the central has
  // stored node-r's status.
  const remoteRow = await until('the fleet table row of node-r', async () => {
    await load('?range=all');
    return cdp.eval(`(() => {
      const tr = document.querySelector('#nodes tbody tr[data-host="node-r"]');
      return tr && { source: tr.dataset.source, cells: [...tr.children].map((td) => td.textContent) };
    })()`);
  }, 15000, 500).catch(() => null);
  check(remoteRow !== null, 'the fleet table has no row for node-r: ' + kestrelLog.slice(-1500));
  if (remoteRow !== null) {
    console.log('node-r in the fleet table:', JSON.stringify(remoteRow));
    check(remoteRow.cells[1] === os.release(), `node-r's kernel ${remoteRow.cells[1]}, this kernel is ${os.release()}`);
    check(remoteRow.source === 'capture' && remoteRow.cells[2] === 'capture', `node-r's source: ${JSON.stringify(remoteRow)}`);
  }
  cdp.ws.close();
}

let code = 0;
try {
  await main();
} catch (e) {
  console.log('ERROR:', e.message);
  code = 1;
} finally {
  for (const c of children.reverse()) {
    c.kill('SIGTERM');
    await new Promise((r) => { if (c.exitCode !== null || c.signalCode) r(); else { c.once('exit', r); setTimeout(r, 5000); } });
  }
}
if (failures.length) code = 1;
if (code === 0) console.log('console browser test: live feed, URL filters, detail and fleet (this node, a remote node) checked in chromium');
process.exit(code);
