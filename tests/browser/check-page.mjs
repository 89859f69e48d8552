#!/usr/bin/env node
// Checks a rendered tagstory page in a real headless Chromium (Debian's /usr/bin/chromium).
//
//   node check-page.mjs PAGE.html STORY.json [SCREENSHOT.png]
//
// STORY.json is `tagstory render --format json` of the same story. Every network request is
// intercepted: file:// is allowed, everything else is aborted and recorded. Prints one line per
// check (PASS/FAIL; a WARN line reports without failing), then a `N passed, N failed` line; exits
// 1 if any check failed, 2 on a usage or setup error. With SCREENSHOT.png it writes a full-page phone screenshot there, a desktop one
// at SCREENSHOT-desktop.png and the printed PDF at SCREENSHOT.pdf.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

const [pagePath, jsonPath, shotPath] = process.argv.slice(2);
if (!pagePath || !jsonPath || process.argv.length > 5) {
  console.error('usage: node check-page.mjs PAGE.html STORY.json [SCREENSHOT.png]');
  process.exit(2);
}

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const MEDIA_TYPES = new Set(['image', 'media']);
const FORBIDDEN_TYPES = new Set(['stylesheet', 'script', 'font']);

// A hung browser must not hang CI.
const watchdog = setTimeout(() => { console.error('check-page: timed out after 100 s'); process.exit(2); }, 100_000);
watchdog.unref();

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const story = JSON.parse(readFileSync(jsonPath, 'utf8'));
const pageUrl = pathToFileURL(path.resolve(pagePath)).href;

// ---- what the JSON says the page must show -------------------------------------------------

/** The page's fragment id of a post URI: FNV-1a 64 over its UTF-8 bytes (src/story.rs anchor_of). */
function anchorOf(uri) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(uri, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return 'p' + h.toString(16).padStart(16, '0');
}

/** The permalink the page should link as `a.original`: the first of url, uri that is absolute
 * http(s); none for the stub of a post the curator left out. */
function expectedLink(node) {
  if (node.left_out) return null;
  for (const candidate of [node.url, node.uri]) {
    if (typeof candidate !== 'string') continue;
    try {
      const u = new URL(candidate.trim());
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname) return u.href;
    } catch { /* not a URL */ }
  }
  return null;
}

const threads = (story.threads || []).map((root) => {
  const nodes = [];
  const stack = [root]; // explicit stack: threads can nest deeper than a comfortable recursion
  while (stack.length) {
    const n = stack.pop();
    nodes.push({ uri: n.uri, anchor: anchorOf(n.uri), link: expectedLink(n), cw: Boolean(n.spoiler_text || n.curator_cw) });
    for (const r of [...(n.replies || [])].reverse()) stack.push(r);
  }
  return nodes;
});
const nodeCount = threads.reduce((a, t) => a + t.length, 0);
const cwCount = threads.reduce((a, t) => a + t.filter((n) => n.cw).length, 0);

// ---- reporting -------------------------------------------------------------------------------

const results = [];
function check(name, ok, detail = '') {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}
function list(items, max = 8) {
  const shown = items.slice(0, max).join('; ');
  return items.length > max ? `${shown}; … (${items.length} in all)` : shown;
}

// ---- browser ---------------------------------------------------------------------------------

const userDataDir = mkdtempSync(path.join(tmpdir(), 'tagstory-chromium-'));
const requests = [];          // every request the page made: {url, type}
const aborted = [];           // non-file requests we aborted: {url, type}
const cspViolations = [];
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: PHONE,
    deviceScaleFactor: 1, colorScheme: 'light', reducedMotion: 'reduce', serviceWorkers: 'block',
  });
} catch (e) {
  console.error(`check-page: cannot start ${CHROMIUM}: ${e.message}`);
  rmSync(userDataDir, { recursive: true, force: true });
  process.exit(2);
}

try {
  await context.route('**/*', (route) => {
    const req = route.request();
    if (req.url().startsWith('file:')) return route.continue();
    aborted.push({ url: req.url(), type: req.resourceType() });
    return route.abort('blockedbyclient');
  });
  context.on('request', (req) => requests.push({ url: req.url(), type: req.resourceType() }));

  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
  });
  page.on('pageerror', (err) => cspViolations.push(`page error: ${err.message}`));

  async function load(viewport) {
    await page.setViewportSize(viewport);
    await page.goto(pageUrl, { waitUntil: 'load' });
  }

  // axe is injected through the DevTools protocol, which the page's CSP does not govern.
  async function axe(label) {
    await page.evaluate(`${axeSource}\n;void 0`);
    const res = await page.evaluate(async (values) => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'], preload: false });
      return r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => `${n.target.join(' ')} :: ${n.html.slice(0, 160)}${n.failureSummary ? ` :: ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`),
      }));
    }, AXE_TAGS);
    const n = res.reduce((a, v) => a + v.nodes.length, 0);
    check(`axe ${label}: zero violations (${AXE_TAGS.join(', ')})`, res.length === 0,
      res.length ? `${res.length} rule(s), ${n} node(s)` : '');
    for (const v of res) {
      console.log(`    [${v.impact}] ${v.id}: ${v.help}`);
      for (const node of v.nodes.slice(0, 10)) console.log(`        ${node}`);
      if (v.nodes.length > 10) console.log(`        … ${v.nodes.length - 10} more`);
    }
  }

  async function noHorizontalScroll(label) {
    const r = await page.evaluate(() => {
      const limit = document.documentElement.clientWidth;
      const wide = [];
      for (const el of document.body.querySelectorAll('*')) {
        const b = el.getBoundingClientRect();
        if (b.width > 0 && (b.right > limit + 0.5 || b.left < -0.5) && !el.closest('.visually-hidden, .skip')) {
          wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} right=${Math.round(b.right)}`);
        }
      }
      return { scrollWidth: document.documentElement.scrollWidth, wide };
    });
    check(`no horizontal scrolling at 390 px (${label})`, r.scrollWidth <= PHONE.width,
      `scrollWidth ${r.scrollWidth}${r.wide.length ? `; overflowing: ${list(r.wide, 5)}` : ''}`);
  }

  // ---------------- phone ----------------
  await load(PHONE);

  const dom = await page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    const onAttrs = [];
    for (const el of all) for (const a of el.attributes) if (/^on/i.test(a.name)) onAttrs.push(`<${el.tagName.toLowerCase()} ${a.name}>`);
    const jsUrls = all.filter((el) => ['href', 'src', 'action', 'formaction'].some((a) => /^\s*javascript:/i.test(el.getAttribute(a) || '')))
      .map((el) => el.outerHTML.slice(0, 80));
    const extCss = [...document.querySelectorAll('link[rel~="stylesheet" i], link[rel~="preload" i], link[rel~="modulepreload" i], iframe, object, embed')]
      .map((el) => el.outerHTML.slice(0, 100));
    for (const s of document.styleSheets) {
      try {
        for (const r of s.cssRules) if (r.type === CSSRule.IMPORT_RULE || r.type === CSSRule.FONT_FACE_RULE) extCss.push(r.cssText.slice(0, 100));
      } catch { extCss.push(`unreadable stylesheet ${s.href}`); }
    }
    const imgs = [...document.querySelectorAll('img')];
    const times = [...document.querySelectorAll('time')];
    const badTimes = times.filter((t) => !t.hasAttribute('datetime') || Number.isNaN(Date.parse(t.getAttribute('datetime'))))
      .map((t) => t.outerHTML.slice(0, 100));
    return {
      scripts: document.querySelectorAll('script').length,
      onAttrs, jsUrls, extCss,
      imgs: imgs.length,
      imgsNoAlt: imgs.filter((i) => !i.hasAttribute('alt')).map((i) => i.outerHTML.slice(0, 100)),
      times: times.length, badTimes,
      lang: document.documentElement.getAttribute('lang'),
      title: document.title,
    };
  });
  check('html has lang', !!dom.lang && dom.lang.trim() !== '', `lang="${dom.lang ?? ''}"`);
  check('no <script> element, inline on* handler or javascript: URL',
    dom.scripts === 0 && dom.onAttrs.length === 0 && dom.jsUrls.length === 0,
    `${dom.scripts} script(s), ${dom.onAttrs.length} on* attribute(s)${dom.onAttrs.length ? ': ' + list(dom.onAttrs) : ''}, ${dom.jsUrls.length} javascript: URL(s)`);
  check('no external stylesheet, preload, frame, @import or @font-face', dom.extCss.length === 0, list(dom.extCss));
  check('every img has an alt attribute', dom.imgsNoAlt.length === 0, `${dom.imgs} img(s)${dom.imgsNoAlt.length ? '; missing: ' + list(dom.imgsNoAlt) : ''}`);
  check('every time has a datetime that parses', dom.times > 0 && dom.badTimes.length === 0, `${dom.times} time(s)${dom.badTimes.length ? '; bad: ' + list(dom.badTimes) : ''}`);

  // Structure: the page shows exactly the posts of the JSON, thread by thread.
  const structure = await page.evaluate((threads) => {
    const sections = [...document.querySelectorAll('section.thread')];
    const problems = [];
    const perSection = sections.map((s) => s.querySelectorAll('article').length);
    threads.forEach((nodes, i) => {
      const s = sections[i];
      if (!s) return;
      for (const n of nodes) {
        const a = document.getElementById(n.anchor);
        if (!a || a.tagName !== 'ARTICLE') { problems.push(`no article#${n.anchor} for ${n.uri}`); continue; }
        if (a.closest('section.thread') !== s) problems.push(`${n.uri} is not in thread ${i + 1}`);
        const links = [...a.querySelectorAll('a.original')].map((l) => l.href);
        if (n.link && !links.includes(n.link)) problems.push(`${n.uri}: a.original ${JSON.stringify(links)} != ${n.link}`);
        if (!n.link && links.length) problems.push(`${n.uri}: unexpected a.original ${links[0]}`);
      }
    });
    return { sections: sections.length, perSection, articles: document.querySelectorAll('article').length, problems };
  }, threads);
  const sizes = threads.map((t) => t.length);
  check('article count == nodes in STORY.json', structure.articles === nodeCount && nodeCount > 0,
    `${structure.articles} article(s), ${nodeCount} node(s)`);
  check('section.thread per JSON thread, same sizes in the same order',
    structure.sections === threads.length && sizes.every((n, i) => structure.perSection[i] === n),
    `${structure.sections} section(s) of [${structure.perSection.join(',')}], JSON ${threads.length} thread(s) of [${sizes.join(',')}]`);
  check('every JSON uri is an article in its thread, linking its permalink as a.original',
    structure.problems.length === 0, structure.problems.length ? list(structure.problems) : `${nodeCount} post(s) matched`);

  await axe(`phone ${PHONE.width}x${PHONE.height}`);
  await noHorizontalScroll('on load');

  // Content warnings: closed, labelled, and they open on a click.
  const cwBefore = await page.evaluate(() => [...document.querySelectorAll('details.cw')].map((d, i) => {
    const s = d.querySelector(':scope > summary');
    if (!s) return { i, open: d.open, summary: null, visible: false };
    // Visible text: text nodes that take real space (a visually-hidden label is 1 px and clipped).
    let text = '';
    const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      if (!t.data.trim() || !t.parentElement.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(t);
      const b = range.getBoundingClientRect();
      let clipped = false;
      for (let el = t.parentElement; el && el !== s.parentElement; el = el.parentElement) {
        const eb = el.getBoundingClientRect();
        if (eb.width <= 2 || eb.height <= 2) clipped = true;
      }
      if (!clipped && b.width > 2 && b.height > 2) text += t.data;
    }
    return { i, open: d.open, summary: text.replace(/\s+/g, ' ').trim(), visible: text.trim() !== '' };
  }));
  const cwBad = cwBefore.filter((c) => c.open || !c.summary || !c.visible)
    .map((c) => `details.cw #${c.i + 1}: ${c.open ? 'open' : 'closed'}, summary ${JSON.stringify(c.summary)}${c.visible ? '' : ' not visible'}`);
  check('every details.cw is closed on load and its summary has visible text', cwBad.length === 0,
    cwBad.length ? list(cwBad) : `${cwBefore.length} details.cw${cwBefore.length ? ': ' + list(cwBefore.map((c) => JSON.stringify(c.summary)), 4) : ' (none in this story)'}`);

  if (shotPath) await page.screenshot({ path: shotPath, fullPage: true });

  const cwCount = cwBefore.length;
  const cwOpenBad = [];
  for (let i = 0; i < cwCount; i++) {
    const summary = page.locator('details.cw > summary').nth(i);
    await summary.scrollIntoViewIfNeeded();
    await summary.click();
    const r = await page.evaluate((i) => {
      const d = document.querySelectorAll('details.cw')[i];
      const shown = [...d.children].filter((c) => c.tagName !== 'SUMMARY')
        .filter((c) => { const b = c.getBoundingClientRect(); return b.width > 0 && b.height > 0 && c.checkVisibility({ visibilityProperty: true }); });
      return { open: d.open, shown: shown.length, children: d.children.length - 1 };
    }, i);
    if (!r.open || r.shown === 0) cwOpenBad.push(`details.cw #${i + 1}: open=${r.open}, ${r.shown}/${r.children} content element(s) visible`);
  }
  check('clicking a details.cw summary shows its content', cwOpenBad.length === 0,
    cwOpenBad.length ? list(cwOpenBad) : `${cwCount} opened`);
  if (cwCount) await noHorizontalScroll('content warnings open');

  // ---------------- desktop ----------------
  await load(DESKTOP);
  await axe(`desktop ${DESKTOP.width}x${DESKTOP.height}`);
  if (shotPath) await page.screenshot({ path: shotPath.replace(/(\.png)?$/i, '-desktop.png'), fullPage: true });
  if (cwCount) {
    // Content behind a warning is out of axe's sight while closed: audit it open too.
    await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
    await axe(`desktop, all details open`);
  }

  // ---------------- print ----------------
  await load(PHONE);
  await page.emulateMedia({ media: 'print' });
  // A content warning is a collapsed <details> on screen; on paper the post prints expanded,
  // (media marked sensitive without a warning stay folded on paper too, by design)
  // under a "Content warning" label, from a print-only copy (a closed <details> never prints
  // its content, whatever the CSS says).
  const printCw = await page.evaluate(() => [...document.querySelectorAll('article')]
    .filter((a) => a.querySelector(':scope > details.cw.screen-only'))
    .map((a) => {
      const visible = (el) => { if (!el) return false; const b = el.getBoundingClientRect(); return b.width > 0 && b.height > 0 && el.checkVisibility({ visibilityProperty: true }); };
      return { id: a.id, label: visible(a.querySelector(':scope > .print-only > .cw-label')),
               content: visible(a.querySelector(':scope > .print-only > .content')),
               screenHidden: !visible(a.querySelector(':scope > details.cw.screen-only')) };
    }));
  const printCwBad = printCw.filter((c) => !(c.label && c.content && c.screenHidden))
    .map((c) => `#${c.id}: label ${c.label}, content ${c.content}, collapsed copy hidden ${c.screenHidden}`);
  check('print: posts behind a content warning print expanded, under their warning', (printCw.length > 0 || cwCount === 0) && printCwBad.length === 0,
    printCwBad.length ? list(printCwBad) : `${printCw.length} post(s)${cwCount === 0 ? ' (no content warning in this story)' : ''}`);
  let pdf;
  try {
    pdf = await page.pdf({ format: 'A4', printBackground: false });
  } catch (e) {
    pdf = null;
    check('print: page.pdf() succeeds', false, e.message.split('\n')[0]);
  }
  if (pdf) {
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
    const pdfPath = shotPath ? shotPath.replace(/(\.png)?$/i, '.pdf') : null;
    if (pdfPath) writeFileSync(pdfPath, pdf);
    check('print: page.pdf() succeeds', pdf.length > 1000 && pdf.subarray(0, 5).toString() === '%PDF-',
      `${pdf.length} bytes, ${pages} page(s)${pdfPath ? ` -> ${pdfPath}` : ''}`);
  }
  await page.emulateMedia({ media: null });

  // ---------------- network ----------------
  const forbidden = [...new Set(requests.filter((r) => FORBIDDEN_TYPES.has(r.type)).map((r) => `${r.type} ${r.url}`))];
  const otherAborted = [...new Set(aborted.filter((r) => !MEDIA_TYPES.has(r.type)).map((r) => `${r.type} ${r.url}`))];
  const mediaAborted = new Set(aborted.filter((r) => MEDIA_TYPES.has(r.type)).map((r) => r.url));
  const fileSubresources = new Set(requests.filter((r) => r.url.startsWith('file:') && r.url !== pageUrl).map((r) => r.url));
  check('no stylesheet, script or font requested', forbidden.length === 0, forbidden.length ? list(forbidden) : `${requests.length} request(s) seen`);
  // A page references no remote resource at all: what is not archived shows its description.
  check('no network request at all', otherAborted.length === 0 && mediaAborted.size === 0,
    `${otherAborted.length ? list(otherAborted) + '; ' : ''}${mediaAborted.size ? list([...mediaAborted], 3) + ' requested; ' : ''}${fileSubresources.size} file:// subresource(s)`);
  if (process.env.EXPECT_MEDIA) {
    // Archived pictures: every one loads, from the page's own folder or from inside the page.
    const dir = pageUrl.slice(0, pageUrl.lastIndexOf('/') + 1);
    const imgs = await page.evaluate(() => [...document.images].map((i) => (
      { src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0 })));
    const bad = imgs.filter((i) => !i.ok || !(i.src.startsWith('data:image/') || i.src.startsWith(dir)));
    const min = Number(process.env.EXPECT_MEDIA);
    check(`every picture loads from the folder or the page (at least ${min})`, bad.length === 0 && imgs.length >= min,
      `${imgs.length} img(s)${bad.length ? `; broken or remote: ${list(bad.map((i) => i.src.slice(0, 80)), 3)}` : ''}`);
    // Posters of videos: each is a picture of the folder or the page, and it loads.
    const posters = await page.evaluate(() => Promise.all([...document.querySelectorAll('video[poster]')].map((v) => {
      const img = new Image();
      const src = new URL(v.getAttribute('poster'), document.baseURI).href;
      return new Promise((done) => {
        img.onload = () => done({ src, ok: img.naturalWidth > 0 });
        img.onerror = () => done({ src, ok: false });
        img.src = src;
      });
    })));
    const badPosters = posters.filter((p) => !p.ok || !(p.src.startsWith('data:image/') || p.src.startsWith(dir)));
    const minPosters = Number(process.env.EXPECT_POSTERS || 0);
    check(`every video poster loads from the folder or the page (at least ${minPosters})`, badPosters.length === 0 && posters.length >= minPosters,
      `${posters.length} poster(s)${badPosters.length ? `; broken or remote: ${list(badPosters.map((p) => p.src.slice(0, 80)), 3)}` : ''}`);
  }
  check('no Content-Security-Policy violation or page error', cspViolations.length === 0, list(cspViolations, 4));
} catch (e) {
  console.error(`check-page: error while checking: ${e.stack || e}`);
  results.push(false);
} finally {
  await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

const failed = results.filter((ok) => !ok).length;
console.log(`check-page: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
