// The dashboard in real headless Chromium (Debian `chromium`, driven by playwright-core) against a running server
// with the real pipeline DAGs and a worker: log in, see the three DAGs, trigger one and watch its run appear, open
// its logs, see the heatmap, make a prediction. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger } from '../../src/log.js';
import { runIncremental } from '../../src/processing/incremental.js';
import { Ledger } from '../../src/processing/ledger.js';
import { openStore } from '../../src/store/open.js';
import { ADMIN_PASSWORD, startHarness, type Harness } from './harness.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
let h: Harness;
let browser: Browser;
let page: Page;

const shot = (name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness({ dags: 'pipeline' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(10_000);
});

after(async () => {
  await browser?.close();
  await h?.stop();
});

test('browser › a wrong password is refused, the right one shows the three DAGs', async () => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(h.url);
  await page.fill('#login-form [name=password]', 'admin');
  await page.click('#login-form button');
  await page.waitForSelector('#login-error:has-text("wrong")');
  await shot('login');
  await page.fill('#login-form [name=password]', ADMIN_PASSWORD);
  await page.click('#login-form button');
  await page.waitForSelector('.card.dag >> nth=2');
  const ids = await page.$$eval('.card.dag', (cards) => cards.map((c) => c.getAttribute('data-dag-id')));
  assert.deepEqual(ids, ['incremental_processing_dag', 'ml_training_dag', 'redis_cache_dag']);
  assert.deepEqual(errors, []);
});

test('browser › triggering a DAG makes its run appear in the grid, and its logs open', async () => {
  const card = page.locator('.card.dag[data-dag-id="ml_training_dag"]');
  await card.locator('button.trigger').click();
  await card.locator('button.cell.run').first().waitFor();
  // The run detail opens on trigger; it refreshes live until the run has succeeded.
  await page.waitForSelector('#run-detail .run-head .pill.state-success', { timeout: 20_000 });
  await page.waitForSelector('#run-detail .logs .log');
  const logs = await page.locator('#run-detail .logs').first().innerText();
  assert.ok(logs.length > 0);
  // The grid catches up on its next live refresh (≤ 2 s).
  await card.locator('button.cell.run.state-success').waitFor();
  assert.equal(await card.locator('button.cell.run').count(), 1);
  await shot('dags');
});

test('browser › the data section renders the heatmap and top categories', async () => {
  await page.click('nav a[data-section=data]');
  await page.waitForSelector('#heatmap-table tbody tr >> nth=6');
  assert.equal(await page.locator('#heatmap-table tbody td').count(), 7 * 24);
  const peak = await page
    .locator('#heatmap-table tbody tr')
    .first()
    .locator('td')
    .nth(12)
    .getAttribute('style');
  assert.match(peak ?? '', /background/);
  // chart.js registers every chart it draws: the bar chart exists and has the categories as labels.
  await page.waitForFunction("window.Chart?.getChart('top-chart')?.data.labels.length > 0");
  await shot('data');
});

test('browser › models and cache sections render their figures and the RMSE chart', async () => {
  await page.click('nav a[data-section=models]');
  await page.waitForSelector('#candidates tr.chosen');
  await page.waitForSelector('#model-tiles .tile-value:has-text("v1")');
  await shot('models');
  await page.click('nav a[data-section=cache]');
  await page.waitForSelector('#cache-tiles .tile');
  await shot('cache');
});

test('browser › a prediction shows its value and source, with category autocomplete', async () => {
  await page.click('nav a[data-section=predict]');
  await page.waitForSelector('#categories option >> nth=3', { state: 'attached' });
  await page.selectOption('#predict-day', '0');
  await page.selectOption('#predict-hour', '12');
  await page.fill('#predict-form [name=category]', 'fresh fruits');
  await page.click('#predict-form button');
  await page.waitForSelector('#prediction-value');
  const value = Number((await page.locator('#prediction-value').innerText()).replace(/,/g, ''));
  assert.ok(value > 0);
  assert.match(await page.locator('#prediction-source').innerText(), /cache|model/);
  await shot('predict');
  await page.fill('#predict-form [name=category]', 'fresh fruit');
  await page.click('#predict-form button');
  await page.waitForSelector('#prediction button.link:has-text("fresh fruits")');
});

test('browser › the data section lists a rejected file with its reason, and its retry button works', async () => {
  const logger = createLogger('silent');
  const db = await openStore(h.config, logger);
  try {
    const batch = path.join(h.config.paths.incrementalRawDir, '1');
    await mkdir(batch, { recursive: true });
    await writeFile(path.join(batch, 'garbage.csv'), 'foo,bar\n1,2\n');
    const result = await runIncremental({ config: h.config, logger, db, redis: undefined });
    assert.equal(result.skipped.length, 1);
    await page.click('nav a[data-section=data]');
    const row = page.locator('#file-issues tr[data-state=rejected]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-path'), '1/garbage.csv');
    assert.match(await row.innerText(), /missing required columns order_id/);
    await shot('data-rejected');
    await row.locator('button:has-text("retry")').click();
    await page.waitForSelector('text=will be read again by the next incremental run');
    assert.equal((await new Ledger(db).skippedFiles()).length, 0, 'the verdict is forgotten');
  } finally {
    await db.close();
  }
});
