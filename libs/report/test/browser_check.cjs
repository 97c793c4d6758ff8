// Opens a report.html in Debian's headless Chromium (driven by playwright-core, never a
// downloaded browser) and prints one JSON object: console and page errors, every request
// that is not the page itself, each chart element with its series' data sizes, the time
// from navigation to the page's `ready`, and where the screenshot went.
//
//   node browser_check.cjs PLAYWRIGHT_CORE_DIR CHROMIUM REPORT_HTML SCREENSHOT_PNG
//
// Used by libs/pipeline/test/report_browser_test.cpp; exit code 0 unless the browser could
// not be driven at all (then {"fatal": "..."}).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const [pwDir, chromiumPath, reportPath, screenshotPath] = process.argv.slice(2);
const { chromium } = require(pwDir);

(async () => {
  const out = { console_errors: [], page_errors: [], requests: [], charts: [], report_errors: [], open_ms: null };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mimicry-chromium-'));
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    const pageUrl = 'file://' + path.resolve(reportPath);
    page.on('console', (m) => { if (m.type() === 'error') out.console_errors.push(m.text()); });
    page.on('pageerror', (e) => out.page_errors.push(String(e)));
    page.on('request', (r) => { if (r.url() !== pageUrl) out.requests.push(r.url()); });
    const t0 = Date.now();
    await page.goto(pageUrl, { waitUntil: 'load' });
    await page.waitForFunction(() => window.mimicryReport && window.mimicryReport.ready, null, { timeout: 20000 });
    out.open_ms = Date.now() - t0;
    out.charts = await page.evaluate(() => Array.from(document.querySelectorAll('[data-chart]')).map((el) => {
      const inst = window.echarts && window.echarts.getInstanceByDom(el);
      const opt = inst ? inst.getOption() : null;
      const rect = el.getBoundingClientRect();
      return {
        key: el.getAttribute('data-chart'),
        drawn: !!inst && !!el.querySelector('canvas'),
        width: rect.width, height: rect.height,
        series: opt ? opt.series.map((s) => ({ type: s.type, name: s.name, n: Array.isArray(s.data) ? s.data.length : 0 })) : [],
      };
    }));
    out.report_errors = await page.evaluate(() => window.mimicryReport.errors);
    out.sections = await page.evaluate(() => Array.from(document.querySelectorAll('section')).map((s) => s.id));
    // The overview cards as a reader sees them (title, value, meaning).
    out.cards = await page.evaluate(() => Array.from(document.querySelectorAll('.card')).map((c) => c.innerText.replace(/\s+/g, ' ').trim()));
    // Hovering a chart must not raise errors either (tooltips run the page's formatters).
    for (const c of out.charts) {
      const box = await page.locator('[data-chart="' + c.key + '"]').boundingBox();
      if (!box) continue;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    }
    await page.screenshot({ path: screenshotPath, fullPage: true });
    out.screenshot = screenshotPath;
  } finally {
    await context.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.log(JSON.stringify({ fatal: String(e && e.stack ? e.stack : e) }));
  process.exit(1);
});
