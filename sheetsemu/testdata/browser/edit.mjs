// Drives the emulator's browser view the way a person would: edit a cell,
// add a row, delete a row, each through the page (which calls the
// emulator's own REST API), and checks every step through that API.
//
//   node edit.mjs BASE_URL SPREADSHEET_ID TAB
//
// The browser is Debian's chromium (CHROMIUM, default /usr/bin/chromium);
// puppeteer-core never downloads one. Exit 0 only when every check held.
import puppeteer from 'puppeteer-core';

const [base, id, tab] = process.argv.slice(2);
if (!base || !id || !tab) {
  console.error('usage: node edit.mjs BASE_URL SPREADSHEET_ID TAB');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

async function values() {
  const r = await fetch(`${base}/v4/spreadsheets/${id}/values/${encodeURIComponent(tab)}?valueRenderOption=UNFORMATTED_VALUE`);
  if (!r.ok) throw new Error(`values.get: ${r.status} ${await r.text()}`);
  return (await r.json()).values || [];
}

function expectRows(got, want, step) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Error(`${step}: tab is ${g}, want ${w}`);
  console.log(`ok: ${step}`);
}

const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', e => { console.error('page error:', e.message); process.exitCode = 1; });
  page.setDefaultTimeout(10000);
  await page.goto(base + '/', { waitUntil: 'load' });
  const table = `table.tab[data-title="${tab}"]`;
  await page.waitForSelector(table);
  const before = await values();

  // 1. Edit a cell: double-click row 2's last cell, type, Enter.
  const last = before[0].length - 1;
  const cell = `${table} tr[data-row="1"] td[data-col="${last}"]`;
  await page.click(cell, { count: 2 });
  await page.waitForSelector(`${cell} input`);
  await page.$eval(`${cell} input`, i => { i.value = ''; });
  await page.type(`${cell} input`, '=checked by Ann');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const edited = before.map(r => [...r]);
  edited[1][last] = '=checked by Ann'; // RAW: a leading = stays text
  expectRows(await values(), edited, 'edit a cell');
  const shown = await page.$eval(cell, td => td.textContent);
  if (shown !== '=checked by Ann') throw new Error(`page shows ${JSON.stringify(shown)} after the edit`);

  // 2. Add a row: type into the last line, press Add row.
  const inputs = await page.$$(`${table} tr.new input`);
  const typedRow = ['4', 'Dana', 'new row'];
  for (let i = 0; i < typedRow.length && i < inputs.length; i++) await inputs[i].type(typedRow[i]);
  await Promise.all([page.waitForNavigation(), page.click(`${table} tr.new button.add`)]);
  const added = [...edited, [4, 'Dana', 'new row']];
  expectRows(await values(), added, 'add a row');
  await page.waitForSelector(`${table} tr[data-row="${added.length - 1}"]`);

  // 3. Delete a row: the ✕ of row 3.
  await Promise.all([page.waitForNavigation(), page.click(`${table} tr[data-row="2"] button.del`)]);
  const deleted = added.filter((_, i) => i !== 2);
  expectRows(await values(), deleted, 'delete a row');

  // 4. A request Google refuses is refused here too, and the page says so:
  // a cell of more than 50,000 characters.
  await page.click(cell, { count: 2 });
  await page.waitForSelector(`${cell} input`);
  await page.$eval(`${cell} input`, i => { i.value = 'x'.repeat(50001); });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Refused'));
  const msg = await page.$eval('#status', s => s.textContent);
  if (!msg.includes('50000 characters')) throw new Error(`status after a refused edit: ${msg}`);
  console.log('ok: a refused request is shown: ' + msg);
  expectRows(await values(), deleted, 'nothing changed by the refused request');
} finally {
  await browser.close();
}
