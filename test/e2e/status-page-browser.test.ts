// The status page in a real browser: Debian's chromium driven by playwright-core (never a downloaded browser) loads
// the page a running `portquorum local` serves, with JavaScript off; the verdicts shown are those `status --json`
// reads; screenshots at a phone's and a desktop's width; nothing overflows sideways on the phone; nothing external loads.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSpec } from '../../functions/shared/domain';
import { cli, startLocal, SwitchableServer, type RunningCli } from './support';

const CHROMIUM = '/usr/bin/chromium';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-1'];
const TITLE = 'Acme <b>status</b> & "friends"';
const WIDTHS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;

describe('the status page of a running local fleet, in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-e2e-page-'));
  const statePath = join(dir, 'local.json');
  const web = new SwitchableServer();
  const api = new SwitchableServer();
  const gone = new SwitchableServer();
  let fleet: RunningCli;
  let pageUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    await Promise.all([web.up(), api.up(), gone.up()]);
    // A port that was served and is closed now: refused in every region, DOWN from the first verdict.
    await gone.down();
    const spec: FleetSpec = {
      regions: REGIONS,
      monitorDefaults: { interval: 10, quorum: 2, failureThreshold: 1, recoveryThreshold: 1, retries: 0, timeoutMs: 2000 },
      statusPage: { title: TITLE, monitors: ['web', 'gone'], groups: { 'API & <edge>': ['api', 'web'] } },
      monitors: [
        { id: 'web', host: '127.0.0.1', port: web.port },
        { id: 'api', host: '127.0.0.1', port: api.port },
        { id: 'gone', host: '127.0.0.1', port: gone.port },
      ],
    };
    const config = join(dir, 'fleet.json');
    writeFileSync(config, JSON.stringify(spec, null, 2));
    fleet = startLocal(['--config', config, '--no-netns', '--duration', '300', '--state', statePath]);
    pageUrl = /status page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(await fleet.waitForOutput(/status page: http:\/\/127\.0\.0\.1:\d+\//, 120_000))![1]!;
    await Promise.all([fleet.waitForOutput(/web: UNKNOWN → UP/, 120_000), fleet.waitForOutput(/api: UNKNOWN → UP/, 120_000), fleet.waitForOutput(/gone: UNKNOWN → DOWN/, 120_000)]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (fleet && fleet.child.exitCode === null) {
      fleet.child.kill('SIGINT');
      await fleet.exited;
    }
    await Promise.all([web.down(), api.down()]);
  }, 60_000);

  it('shows the verdicts status --json reads, with JavaScript off, loading nothing but the page', async () => {
    const status = await cli(['status', '--json', '--state', statePath]);
    expect(status.code).toBe(1); // 'gone' is DOWN
    const verdicts = Object.fromEntries((JSON.parse(status.stdout) as { monitors: { monitor: string; verdict: string }[] }).monitors.map((m) => [m.monitor, m.verdict]));
    expect(verdicts).toEqual({ web: 'UP', api: 'UP', gone: 'DOWN' });

    const context = await browser.newContext({ javaScriptEnabled: false, viewport: WIDTHS.desktop });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const response = await page.goto(pageUrl);
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe(TITLE);
    const shown = await page.locator('li.row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-monitor') ?? `group:${r.getAttribute('data-group')}`, r.getAttribute('data-verdict'), r.querySelector('.verdict')!.textContent]));
    expect(shown).toEqual([
      ['group:API & <edge>', 'UP', 'Operational'],
      ['web', verdicts.web, 'Operational'],
      ['gone', verdicts.gone, 'Down'],
    ]);
    expect(await page.locator('[data-overall]').getAttribute('data-overall')).toBe('DOWN');
    expect(await page.locator('li.incident').first().textContent()).toMatch(/^gone is down/);
    expect(requests).toEqual([pageUrl]);
    await context.close();
  }, 60_000);

  it('fits a phone without sideways scrolling and a desktop; screenshots of both', async () => {
    const shots = mkdtempSync(join(tmpdir(), 'pq-page-shots-'));
    for (const [name, viewport] of Object.entries(WIDTHS)) {
      const context = await browser.newContext({ javaScriptEnabled: false, viewport, deviceScaleFactor: 1 });
      const page = await context.newPage();
      await page.goto(pageUrl);
      // Measured with scripts on in the page's own world: playwright's evaluate runs even when the page's are off.
      const { scrollWidth, clientWidth, widest } = await page.evaluate<{ scrollWidth: number; clientWidth: number; widest: number }>(`({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        widest: Math.max(...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right)),
      })`);
      expect(scrollWidth, `${name}: page width`).toBeLessThanOrEqual(clientWidth);
      expect(widest, `${name}: rightmost element edge`).toBeLessThanOrEqual(viewport.width);
      const visibleBars = await page.locator('li.row').first().locator('.bars > span:visible').count();
      expect(visibleBars, `${name}: daily bars shown`).toBe(name === 'phone' ? 30 : 90);
      const file = join(shots, `status-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size).toBeGreaterThan(1000);
      expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
      await context.close();
    }
    process.stdout.write(`status page screenshots: ${shots}\n`);
  }, 60_000);

  it('writes the same page with status --html FILE', async () => {
    const file = join(dir, 'page.html');
    const result = await cli(['status', '--state', statePath, '--html', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`wrote the status page to ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<h1>Acme &lt;b&gt;status&lt;/b&gt; &amp; &quot;friends&quot;</h1>');
    expect(html).toContain('data-monitor="gone" data-verdict="DOWN"');
    expect(html).toContain('data-group="API &amp; &lt;edge&gt;" data-verdict="UP"');
  }, 60_000);
});
