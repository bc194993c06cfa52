// The servers under test and the browser: a fresh demo database and a demo PKI
// (`hocba keys demo-pki`) in a temporary directory; the national registry (`hocba
// registry --demo --demo-pki`, its own SQLite database and receipt key, the same trust
// root) on a free port; `hocba serve --demo` on another, trusting the PKI's root, holding
// each demo school's own seal (see DEMO_SCHOOLS) and sending the sealed records of every
// demo school but one to that registry, each with its own token (see SYNC_SCHOOLS);
// Debian's Chromium driven by playwright-core. Nothing here builds anything: the `hocba`
// binary must exist.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

/** Flags Chromium needs on a machine without a network (see tests/browser/README.md). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long the server may take to answer its login page after it is started. */
const READY_TIMEOUT_MS = 30_000;

/** Password of every PKCS#12 file of `hocba keys demo-pki`. */
export const PKI_PASSWORD = 'hocba-demo';
/**
 * The environment variable that hands the seals' password to the server
 * (`--seal-password-env`, the default of every `--school-seal-p12`); not `HOCBA_*`, which
 * {@link serverEnv} strips.
 */
const SEAL_PASSWORD_VAR = 'BROWSER_TEST_SEAL_PASSWORD';

/** The demo school most walk-throughs sign and sync for (Trường THCS Lê Quý Đôn). */
export const SYNC_SCHOOL = '79000202';
/**
 * The demo school whose token the school server is deliberately **not** given (Trường
 * THPT Chu Văn An): its sealed records stay in the outbox, never synced, so a walk-through
 * can unlock a sealed record without racing the sender (85-unlock).
 */
export const UNSYNCED_SCHOOL = '79000303';
/**
 * The demo schools whose sealed records the school server sends, each with its own
 * token (`--registry-school-token CODE=VAR`; no default token, so no school sends with
 * another's): every demo school but {@link UNSYNCED_SCHOOL}.
 */
export const SYNC_SCHOOLS = ['79000101', SYNC_SCHOOL, '79000404'];
/**
 * Every demo school: each seals with its own seal, `seal-<code>.p12` of the demo PKI
 * (`--school-seal-p12 CODE=PATH`; no server-wide `--seal-p12`), whose subject names the
 * school and which the demo registry approves for that school only.
 */
export const DEMO_SCHOOLS = ['79000101', SYNC_SCHOOL, UNSYNCED_SCHOOL, '79000404'];
/**
 * The environment variable that hands a school's registry token to the school server:
 * `BROWSER_TEST_REGISTRY_TOKEN_<code>`; not `HOCBA_*`, which {@link serverEnv} strips.
 */
const registryTokenVar = (code) => `BROWSER_TEST_REGISTRY_TOKEN_${code}`;

/**
 * Seeds a fresh demo database under `dir` (`hocba demo seed`) and writes a demo PKI to
 * `dir/pki` (`hocba keys demo-pki`). Returns `{ db, pki }`: the database URL and the PKI's
 * directory (`gvcn.p12`, `ht.p12`, `root.pem`, … with password {@link PKI_PASSWORD}).
 */
export function prepareData(bin, dir) {
  const db = `sqlite://${path.join(dir, 'hocba.sqlite')}`;
  const pki = path.join(dir, 'pki');
  const env = serverEnv();
  const seed = spawnSync(bin, ['demo', 'seed', '--db', db], { env, encoding: 'utf8' });
  if (seed.error) throw new Error(`cannot run ${bin}: ${seed.error.message}`);
  if (seed.status !== 0) {
    throw new Error(`hocba demo seed failed (exit ${seed.status}):\n${seed.stdout}${seed.stderr}`);
  }
  const keys = spawnSync(bin, ['keys', 'demo-pki', pki], { env, encoding: 'utf8' });
  if (keys.status !== 0) {
    throw new Error(`hocba keys demo-pki failed (exit ${keys.status}):\n${keys.stdout}${keys.stderr}`);
  }
  return { db, pki };
}

/**
 * Starts the national registry as `scripts/demo` does: `hocba registry --demo --demo-pki
 * PKI` on its own SQLite database under `dir`, with a receipt key it generates
 * (`dir/registry.key`) and the PKI's root as trust, on a free loopback port. Resolves once
 * `GET /api/v1/registry-key` answers, with `{ base, publicKey, schoolTokens, schoolToken,
 * supervisors, stop(), log() }`: the receipt key (64 hex digits) as the school must pin
 * it, every demo school's API token by code (`schoolToken`: the THCS school's) and the
 * demo supervisors (`{ username, authority, password }`), all read from what the registry
 * printed at start-up.
 */
export async function startRegistry(bin, dir, pki) {
  // A fresh database per attempt: the demo schools' tokens are printed only when they
  // are created, so a retry on another port must seed again.
  const args = (port, attempt) => [
    'registry',
    '--db',
    `sqlite://${path.join(dir, `registry-${attempt}.sqlite`)}`,
    '--listen',
    `127.0.0.1:${port}`,
    '--key',
    path.join(dir, 'registry.key'),
    '--generate-key',
    '--trust',
    path.join(pki, 'root.pem'),
    '--demo',
    '--demo-pki',
    pki,
  ];
  const registry = await startOnFreePort(bin, args, serverEnv(), dir, 'registry', '/api/v1/registry-key');
  try {
    const res = await fetch(`${registry.base}/api/v1/registry-key`, { signal: AbortSignal.timeout(5_000) });
    const { public_key: publicKey } = await res.json();
    if (!/^[0-9a-f]{64}$/.test(publicKey ?? '')) throw new Error(`the registry key is ${JSON.stringify(publicKey)}`);
    // Printed before the server listens, so already in the log once it answers.
    const log = registry.log();
    const schoolTokens = Object.fromEntries(
      [...log.matchAll(/^demo school (\S+): API token (\S+)$/gm)].map(([, code, token]) => [code, token]),
    );
    for (const code of [...SYNC_SCHOOLS, UNSYNCED_SCHOOL]) {
      if (!schoolTokens[code]) throw new Error(`no API token of the demo school ${code} in the registry log:\n${log}`);
    }
    const supervisors = [...log.matchAll(/^demo supervisor (\S+) \((.+)\): password (\S+), \/supervisor\/login$/gm)].map(
      ([, username, authority, password]) => ({ username, authority, password }),
    );
    if (supervisors.length === 0) throw new Error(`no demo supervisor in the registry log:\n${log}`);
    return { ...registry, publicKey, schoolTokens, schoolToken: schoolTokens[SYNC_SCHOOL], supervisors };
  } catch (e) {
    await registry.stop();
    throw e;
  }
}

/**
 * Starts `hocba serve --demo` on the database and PKI of {@link prepareData}, trusting
 * the PKI's root and holding each of {@link DEMO_SCHOOLS}' own seal, on a free loopback
 * port; with `registry` (from
 * {@link startRegistry}) it also sends there the sealed records of {@link SYNC_SCHOOLS},
 * each with its own token (`--registry-url`, `--registry-school-token CODE=VAR` per
 * school, `--registry-key`; no default token, so {@link UNSYNCED_SCHOOL}'s records wait
 * in the outbox). Resolves once `GET /login`
 * answers 200. The returned object's `stop()` kills the server (idempotent); `log()`
 * returns what it printed; `pki` is the PKI's directory.
 */
export async function startServer(bin, dir, { db, pki }, registry) {
  const extra = ['--trust', path.join(pki, 'root.pem'), '--seal-password-env', SEAL_PASSWORD_VAR];
  for (const code of DEMO_SCHOOLS) {
    extra.push('--school-seal-p12', `${code}=${path.join(pki, `seal-${code}.p12`)}`);
  }
  const env = { ...serverEnv(), [SEAL_PASSWORD_VAR]: PKI_PASSWORD };
  if (registry) {
    extra.push('--registry-url', registry.base, '--registry-key', registry.publicKey);
    for (const code of SYNC_SCHOOLS) {
      extra.push('--registry-school-token', `${code}=${registryTokenVar(code)}`);
      env[registryTokenVar(code)] = registry.schoolTokens[code];
    }
  }
  const args = (port) => ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--demo', ...extra];
  const server = await startOnFreePort(bin, args, env, dir, 'serve', '/login');
  return { ...server, pki };
}

/**
 * Runs `bin args(port, attempt)` on a free loopback port and waits until `GET readyPath`
 * answers 200. The port is picked by binding port 0 and closing it; another process could take
 * it before the server binds, so a server that exits at once is retried on a new port.
 */
async function startOnFreePort(bin, args, env, dir, name, readyPath) {
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const port = await freePort();
    const logPath = path.join(dir, `${name}-${attempt}.log`);
    const server = launch(bin, args(port, attempt), port, env, logPath, name, readyPath);
    try {
      await server.ready();
      return server;
    } catch (e) {
      lastError = e;
      await server.stop();
      if (!server.exited()) break; // alive but not answering: retrying will not help
    }
  }
  throw lastError;
}

/** Launches Debian's Chromium (or `HOCBA_CHROMIUM`) headless, with a fresh profile. */
export async function startBrowser() {
  const executablePath = process.env.HOCBA_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: install Debian's chromium package (scripts/test does) ` +
        'or set HOCBA_CHROMIUM; never download a browser with playwright',
    );
  }
  // playwright-core gives every launch a new empty --user-data-dir of its own.
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/** A fresh temporary directory for one run. */
export function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hocba-browser-'));
}

function launch(bin, args, port, env, logPath, name, readyPath) {
  const base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(logPath, 'w');
  const child = spawn(bin, args, { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exitCode = null;
  let spawnError = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve();
    });
    child.once('error', (e) => {
      spawnError = e;
      exitCode = 'spawn error';
      resolve();
    });
  });
  // Last resort if the runner dies without reaching its cleanup.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const readLog = () => {
    try {
      return fs.readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    base,
    port,
    exited: () => exitCode !== null,
    log: readLog,
    async ready() {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        if (exitCode !== null) {
          throw new Error(
            `hocba ${name} exited (${spawnError ? spawnError.message : exitCode}) before answering:\n${readLog()}`,
          );
        }
        try {
          const res = await fetch(`${base}${readyPath}`, { signal: AbortSignal.timeout(2_000) });
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) {
          throw new Error(`hocba ${name} did not answer ${base}${readyPath} within ${READY_TIMEOUT_MS} ms:\n${readLog()}`);
        }
        await Promise.race([exited, delay(100)]);
      }
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The environment of the server: ours without HOCBA_* settings that could change it. */
function serverEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('HOCBA_')) delete env[key];
  }
  return env;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
