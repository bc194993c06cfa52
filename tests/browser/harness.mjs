// The school server under test and the browser: a fresh demo database and a demo PKI
// (`hocba keys demo-pki`) in a temporary directory, `hocba serve --demo` on a free port
// trusting the PKI's root and holding its school seal, Debian's Chromium driven by
// playwright-core. Nothing here builds anything: the `hocba` binary must exist.

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
 * The environment variable that hands the seal's password to the server
 * (`--seal-password-env`); not `HOCBA_*`, which {@link serverEnv} strips.
 */
const SEAL_PASSWORD_VAR = 'BROWSER_TEST_SEAL_PASSWORD';

/**
 * Seeds a fresh demo database under `dir`, writes a demo PKI to `dir/pki` and starts
 * `hocba serve --demo --trust pki/root.pem --seal-p12 pki/seal.p12` on a free loopback
 * port. Resolves once `GET /login` answers 200. The returned object's `stop()` kills the
 * server (idempotent); `log()` returns what it printed; `pki` is the PKI's directory
 * (`gvcn.p12`, `ht.p12`, … with password {@link PKI_PASSWORD}).
 */
export async function startServer(bin, dir) {
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
  const serveArgs = [
    '--trust',
    path.join(pki, 'root.pem'),
    '--seal-p12',
    path.join(pki, 'seal.p12'),
    '--seal-password-env',
    SEAL_PASSWORD_VAR,
  ];
  const serveEnv = { ...env, [SEAL_PASSWORD_VAR]: PKI_PASSWORD };
  // The port is picked by binding port 0 and closing it; another process could take it
  // before the server binds, so a server that exits at once is retried on a new port.
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const port = await freePort();
    const server = launch(bin, db, port, serveArgs, serveEnv, path.join(dir, `serve-${attempt}.log`));
    try {
      await server.ready();
      return { ...server, pki };
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

function launch(bin, db, port, extraArgs, env, logPath) {
  const base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(logPath, 'w');
  const child = spawn(bin, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--demo', ...extraArgs], {
    env,
    stdio: ['ignore', log, log],
  });
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
            `hocba serve exited (${spawnError ? spawnError.message : exitCode}) before answering:\n${readLog()}`,
          );
        }
        try {
          const res = await fetch(`${base}/login`, { signal: AbortSignal.timeout(2_000) });
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) {
          throw new Error(`hocba serve did not answer ${base}/login within ${READY_TIMEOUT_MS} ms:\n${readLog()}`);
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
