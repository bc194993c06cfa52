#!/usr/bin/env node
// Runs the browser walk-throughs of walkthroughs/*.mjs against a real `hocba serve --demo`
// on a freshly seeded database, sending its sealed records to a real `hocba registry
// --demo`, in Debian's Chromium. Prints one line per walk-through and a last line
// `N passed, N failed`; exits 1 if any failed (or nothing could start).
//
//   HOCBA_BIN=target/debug/hocba node tests/browser/run.mjs [NAME-FILTER ...]
//
// Environment: HOCBA_BIN (default <repo>/target/debug/hocba), HOCBA_CHROMIUM (default
// /usr/bin/chromium), HOCBA_SCREENSHOTS (default <repo>/target/screenshots),
// HOCBA_KEEP_TMP=1 keeps the temporary directory (databases, server logs).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { prepareData, startBrowser, startRegistry, startServer, tempDir } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
/** A walk-through that takes longer than this (unless it sets its own limit) has hung. */
const TEST_TIMEOUT_MS = 60_000;
/** Default wait of every Playwright action (click, fill, waitFor). */
const ACTION_TIMEOUT_MS = 10_000;

const bin = path.resolve(process.env.HOCBA_BIN || path.join(REPO, 'target', 'debug', 'hocba'));
const shotsDir = path.resolve(process.env.HOCBA_SCREENSHOTS || path.join(REPO, 'target', 'screenshots'));
const filters = process.argv.slice(2);

const tests = (await loadWalkthroughs()).filter(
  (t) => filters.length === 0 || filters.some((f) => t.name.includes(f)),
);
const started = Date.now();
let passed = 0;
let failed = 0;
let server;
let registry;
let browser;
const dir = tempDir();

const cleanup = async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  await registry?.stop();
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await cleanup();
    process.exit(130);
  });
}

// A stray promise of a failed walk-through must not end the run before the summary line.
process.on('unhandledRejection', (e) => console.log(indent(`(late error, ignored) ${e?.message || e}`)));

try {
  if (!fs.existsSync(bin)) {
    throw new Error(`no hocba binary at ${bin}: build it (cargo build -p hocba) or set HOCBA_BIN`);
  }
  fs.mkdirSync(shotsDir, { recursive: true });
  for (const f of fs.readdirSync(shotsDir)) {
    if (f.startsWith('FAILED-')) fs.rmSync(path.join(shotsDir, f)); // from an earlier run
  }
  const data = prepareData(bin, dir);
  registry = await startRegistry(bin, dir, data.pki);
  server = await startServer(bin, dir, data, registry);
  browser = await startBrowser();
  console.log(
    `hocba at ${server.base}, registry at ${registry.base}, Chromium ${browser.version()}, screenshots in ${shotsDir}`,
  );

  for (const t of tests) {
    const t0 = Date.now();
    // A fresh context per walk-through: no cookies carried from one to the next.
    const contexts = [];
    const newContext = async () => {
      const c = await browser.newContext({
        baseURL: server.base,
        locale: 'vi-VN',
        viewport: { width: 1280, height: 800 },
      });
      c.setDefaultTimeout(ACTION_TIMEOUT_MS);
      contexts.push(c);
      return c;
    };
    const context = await newContext();
    const page = await context.newPage();
    const ctx = {
      page,
      context,
      base: server.base,
      /** The demo PKI's directory (`gvcn.p12`, `ht.p12`, `root.pem`, …; password `hocba-demo`). */
      pki: server.pki,
      /** The registry's base URL (`http://127.0.0.1:PORT`): pages there take full URLs. */
      registry: registry.base,
      /**
       * What the registry printed at start-up: `schoolTokens` (each demo school's API
       * token by code; the school server sends with those of SYNC_SCHOOLS), `schoolToken`
       * (the THCS demo school's) and `supervisors` (`{ username, authority, password }`
       * of each demo supervisor).
       */
      registryAccounts: {
        schoolTokens: registry.schoolTokens,
        schoolToken: registry.schoolToken,
        supervisors: registry.supervisors,
      },
      /** The run's temporary directory, for files a walk-through makes (e.g. an .xlsx). */
      tmp: dir,
      /** A page in a context of its own: a second person, logged in separately. */
      newPage: async () => (await newContext()).newPage(),
      /** Saves a full-page screenshot of `of` (default: `page`) as <screenshots>/<name>.png. */
      shot: (name, of = page) => of.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true }),
    };
    try {
      await withTimeout(t.fn(ctx), t.timeout ?? TEST_TIMEOUT_MS, t.name);
      passed += 1;
      console.log(`ok    ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL  ${t.name} (${Date.now() - t0} ms)`);
      console.log(indent(e?.stack || String(e)));
      console.log(indent(`at page ${page.url()}`));
      const shot = path.join(shotsDir, `FAILED-${slug(t.name)}.png`);
      await page.screenshot({ path: shot, fullPage: true }).then(
        () => console.log(indent(`screenshot: ${shot}`)),
        () => {},
      );
    } finally {
      for (const c of contexts) await c.close().catch(() => {});
    }
  }
} catch (e) {
  // Nothing could run: count every selected walk-through as failed.
  console.log(`FAIL  setting up: ${e?.stack || e}`);
  failed = tests.length - passed || 1;
} finally {
  await cleanup();
  if (failed > 0 && server) {
    console.log(`--- hocba serve log (last 40 lines) ---\n${server.log().split('\n').slice(-40).join('\n')}`);
  }
  if (failed > 0 && registry) {
    console.log(`--- hocba registry log (last 20 lines) ---\n${registry.log().split('\n').slice(-20).join('\n')}`);
  }
  if (process.env.HOCBA_KEEP_TMP === '1' || failed > 0) {
    console.log(`temporary directory kept: ${dir}`);
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`browser tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (tests.length === 0) console.log(`no walk-through matches ${filters.join(' ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || tests.length === 0 ? 1 : 0);

/** Every walk-through of walkthroughs/*.mjs, files in name order, tests in file order. */
async function loadWalkthroughs() {
  const folder = path.join(HERE, 'walkthroughs');
  const files = fs.readdirSync(folder).filter((f) => f.endsWith('.mjs')).sort();
  const all = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(folder, f)).href);
    for (const t of mod.default) all.push({ ...t, name: `${f.replace(/\.mjs$/, '')}: ${t.name}` });
  }
  return all;
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function indent(text) {
  return text.replace(/^/gm, '      ');
}

function slug(name) {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-|-$/g, '');
}
