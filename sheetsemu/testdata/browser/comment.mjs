// Types a value into one cell of the emulator's browser view the way a
// person would (double-click, type, Enter): the cell of column COLUMN
// (by its header) in the row whose first cell is KEY, in tab TAB. Used by
// cmd/syncd's demo test to edit a shift's comment in `syncd demo`.
//
//   node comment.mjs BASE_URL TAB COLUMN KEY VALUE
//
// The browser is Debian's chromium (CHROMIUM, default /usr/bin/chromium);
// puppeteer-core never downloads one. Exit 0 once the page took the edit.
import puppeteer from 'puppeteer-core';

const [base, tab, column, key, value] = process.argv.slice(2);
if (!base || !tab || !column || !key || value === undefined) {
  console.error('usage: node comment.mjs BASE_URL TAB COLUMN KEY VALUE');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', e => { console.error('page error:', e.message); process.exitCode = 1; });
  page.setDefaultTimeout(15000);
  await page.goto(base + '/', { waitUntil: 'load' });
  const table = `table.tab[data-title="${tab}"]`;
  await page.waitForSelector(table);
  const col = await page.$$eval(`${table} tr[data-row="0"] td.cell`,
    (tds, name) => tds.findIndex(td => td.dataset.raw === name), column);
  if (col < 0) throw new Error(`no column ${column} in the header of ${tab}`);
  const row = await page.$$eval(`${table} tr[data-row]`,
    (trs, k) => { const tr = trs.find(tr => tr.querySelector('td[data-col="0"]')?.dataset.raw === k); return tr ? tr.dataset.row : null; }, key);
  if (row === null) throw new Error(`no row with key ${key} shown in ${tab}`);
  const cell = `${table} tr[data-row="${row}"] td[data-col="${col}"]`;
  await page.click(cell, { count: 2 });
  await page.waitForSelector(`${cell} input`);
  await page.$eval(`${cell} input`, i => { i.value = ''; });
  await page.type(`${cell} input`, value);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const shown = await page.$eval(cell, td => td.textContent);
  if (shown !== value) throw new Error(`page shows ${JSON.stringify(shown)} in row ${Number(row) + 1} after the edit`);
  console.log(`ok: typed ${JSON.stringify(value)} into ${tab} row ${Number(row) + 1}, column ${column}`);
} finally {
  await browser.close();
}
