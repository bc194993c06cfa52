// The record workflow as people do it in the browser (stories 10–14, 17, 18): the pages and
// forms of "Học bạ lớp", "Ký duyệt học bạ", "Ký hàng loạt", "Đóng dấu số", and the
// idempotent set-ups that bring the signing class to a given stage, so that a walk-through
// run alone (`node run.mjs unlock`) prepares what the earlier ones would have left.
//
// Every signing walk-through works on SIGN_CLASS (7A1 of THCS Lê Quý Đôn), which no
// other walk-through changes; the import walk-through adds students to 9A1, the journey
// (99-journey) signs 8A1 with the same set-ups (`ensureSealed(t, { name, homeroom })`).
// The school server sends sealed records to the registry in the background, so a sealed
// record may already read "Đã đồng bộ" ({@link isSealed} accepts both).

import path from 'node:path';

import { PASSWORD, USERS, assert, expectText, login, navigating, pathOf } from './helpers.mjs';

/** The class the signing walk-throughs work on, and its homeroom teacher. */
export const SIGN_CLASS = { name: '7A1', homeroom: 'gvcn2.0202' };

/** Password of the demo PKI's PKCS#12 files (`hocba keys demo-pki`). */
export const P12_PASSWORD = PASSWORD;

/** Menu labels of the workflow pages. */
export const WORKFLOW_MENU = {
  classRecords: 'Học bạ lớp',
  signing: 'Ký duyệt học bạ',
};

/** Record states as the pages word them (`workflow::state_label`). */
export const STATE = {
  reviewed: 'Đã xác nhận tổng hợp, chờ GVCN ký',
  homeroomSigned: 'GVCN đã ký, chờ hiệu trưởng ký',
  principalSigned: 'Hiệu trưởng đã ký, chờ đóng dấu',
  sealed: 'Đã ký và đóng dấu (đã khóa)',
  /** Sealed and accepted by the registry (with its receipt). */
  synced: 'Đã đồng bộ',
  draft: 'Bản nháp (đã mở khóa, đang sửa)',
  notBuilt: 'Chưa lập',
};

/**
 * Whether a record in `state` carries all three signatures: sealed, and maybe already
 * accepted by the registry. The school server sends sealed records to the registry in
 * the background (every few seconds), so a page may show either.
 */
export function isSealed(state) {
  return state === STATE.sealed || state === STATE.synced;
}

/** Follows a menu entry of the header. */
export async function openMenu(page, label) {
  return navigating(page, () => page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click());
}

/**
 * As the class's homeroom teacher (already logged in): "Học bạ lớp" → "Lớp NAME".
 * Returns the class id.
 */
export async function openOwnClassRecords(page, className = SIGN_CLASS.name) {
  await openMenu(page, WORKFLOW_MENU.classRecords);
  assert.equal(pathOf(page), '/records');
  await navigating(page, () => page.getByRole('link', { name: `Lớp ${className}`, exact: true }).click());
  return classIdOf(page);
}

/**
 * As principal or clerk (already logged in): "Ký duyệt học bạ" → "Lớp NAME" (the class's
 * records page). Returns the class id.
 */
export async function openClassRecordsFromDashboard(page, className = SIGN_CLASS.name) {
  await openMenu(page, WORKFLOW_MENU.signing);
  assert.equal(pathOf(page), '/signing');
  await navigating(page, () => dashboardRow(page, className).getByRole('link', { name: `Lớp ${className}`, exact: true }).click());
  return classIdOf(page);
}

/** The class id of a `/classes/{id}/…` page. */
export function classIdOf(page) {
  const m = pathOf(page).match(/^\/classes\/(\d+)\//);
  assert.ok(m, `a class page, not ${pathOf(page)}`);
  return Number(m[1]);
}

/** The row of "Lớp NAME" on the "Ký duyệt học bạ" dashboard. */
export function dashboardRow(page, className = SIGN_CLASS.name) {
  return page.locator('main table.list tbody tr').filter({
    has: page.getByRole('link', { name: `Lớp ${className}`, exact: true }),
  });
}

/**
 * The counts of a dashboard row, by the dashboard's columns: members, reviewed (waiting
 * for GVCN), homeroomSigned, principalSigned, sealed, drafts, blocked.
 */
export async function dashboardCounts(page, className = SIGN_CLASS.name) {
  const cells = (await dashboardRow(page, className).locator('td').allInnerTexts()).map((s) => s.trim());
  const n = cells.slice(1, 8).map(Number);
  const [members, reviewed, homeroomSigned, principalSigned, sealed, drafts, blocked] = n;
  return { members, reviewed, homeroomSigned, principalSigned, sealed, drafts, blocked };
}

/**
 * The rows of a class's "Học bạ lớp" table (`tr[data-student]`): code, name, state,
 * version, number of signatures.
 */
export async function recordRows(page) {
  return page.locator('main table.list tbody tr[data-student]').evaluateAll((trs) =>
    trs.map((tr) => ({
      code: tr.dataset.student,
      name: tr.querySelector('td.name').textContent.trim(),
      state: tr.querySelector('[data-col="state"]').textContent.trim(),
      version: tr.querySelector('[data-col="version"]').textContent.trim(),
      signatures: tr.querySelector('[data-col="signatures"]').textContent.trim(),
    })),
  );
}

/** The rows of a student's "Các phiên bản học bạ" table, by version. */
export async function versionRows(page) {
  return page.locator('main table.list tbody tr[data-version]').evaluateAll((trs) =>
    trs.map((tr) => ({
      version: tr.dataset.version,
      state: tr.querySelector('[data-col="state"]').textContent.trim(),
      signers: tr.querySelector('[data-col="signers"]').innerText.trim(),
      unlockReason: tr.querySelector('[data-col="unlock-reason"]').textContent.trim(),
      links: [...tr.querySelectorAll('a')].map((a) => a.textContent.trim()),
    })),
  );
}

/** Fills a key-upload form ("Tệp chứng thư số", "Mật khẩu của tệp") of the page. */
export async function fillKey(page, p12Path, password = P12_PASSWORD) {
  await page.getByLabel('Tệp chứng thư số (.p12, .pfx)').setInputFiles(p12Path);
  await page.getByLabel('Mật khẩu của tệp').fill(password);
}

/** "Xác nhận tổng hợp" on the class's records page; returns the response. */
export async function clickReview(page) {
  return navigating(page, () => page.getByRole('button', { name: 'Xác nhận tổng hợp' }).click());
}

/** "Ký số học bạ lớp" with `p12` on the class's records page; returns the response. */
export async function signAsHomeroom(page, pki, file = 'gvcn.p12', password = P12_PASSWORD) {
  await fillKey(page, path.join(pki, file), password);
  return navigating(page, () => page.getByRole('button', { name: 'Ký số học bạ lớp' }).click());
}

// ---- Set-ups: bring SIGN_CLASS to a stage, through the same pages, skipping what is done.

/**
 * Makes sure the class (`cls`, default {@link SIGN_CLASS}) has records signed by the
 * homeroom teacher (the end of the homeroom walk-through): reviews and signs as its
 * homeroom teacher when nothing is signed yet. Uses its own browser context.
 */
export async function ensureHomeroomSigned(t, cls = SIGN_CLASS) {
  const page = await t.newPage();
  await login(page, cls.homeroom);
  await openOwnClassRecords(page, cls.name);
  let rows = await recordRows(page);
  if (rows.some((r) => Number(r.signatures) >= 1)) return;
  if (rows.some((r) => r.state === STATE.notBuilt)) {
    const res = await clickReview(page);
    const why = await page.locator('main .error-message').allInnerTexts();
    assert.equal(res.status(), 200, `set-up: "Xác nhận tổng hợp" of the signing class ${why.join(' ')}`);
  }
  const res = await signAsHomeroom(page, t.pki);
  assert.equal(res.status(), 200, 'set-up: "Ký số học bạ lớp"');
  rows = await recordRows(page);
  assert.ok(rows.some((r) => r.state === STATE.homeroomSigned), 'set-up: records signed by the homeroom teacher');
  await page.close();
}

/**
 * Makes sure the class (`cls`, default {@link SIGN_CLASS}) has sealed records (the end of
 * the batch-signing walk-through): if none is sealed, signs as homeroom teacher,
 * batch-signs every waiting record as principal and applies the seal as clerk. Returns
 * the class id and the rows of the class's records as the clerk sees them. A class of
 * another school names its principal and clerk (`cls.principal`, `cls.clerk`; default
 * the THCS school's).
 */
export async function ensureSealed(t, cls = SIGN_CLASS) {
  const clerk = await t.newPage();
  await login(clerk, cls.clerk ?? USERS.clerk);
  const classId = await openClassRecordsFromDashboard(clerk, cls.name);
  let rows = await recordRows(clerk);
  if (!rows.some((r) => isSealed(r.state))) {
    await ensureHomeroomSigned(t, cls);
    const principal = await t.newPage();
    await login(principal, cls.principal ?? USERS.principal);
    await principal.goto(`/signing/batch?class=${classId}`);
    if (await principal.getByRole('button', { name: 'Ký hàng loạt' }).count()) {
      await fillKey(principal, path.join(t.pki, 'ht.p12'));
      const res = await navigating(principal, () => principal.getByRole('button', { name: 'Ký hàng loạt' }).click());
      assert.equal(res.status(), 200, 'set-up: "Ký hàng loạt"');
    }
    await principal.close();
    await openMenu(clerk, WORKFLOW_MENU.signing);
    const res = await navigating(clerk, () =>
      dashboardRow(clerk, cls.name).getByRole('button', { name: 'Đóng dấu số' }).click(),
    );
    assert.equal(res.status(), 200, 'set-up: "Đóng dấu số"');
    await expectText(clerk.locator('main'), /Đã đóng dấu \d+ học bạ/);
    await openClassRecordsFromDashboard(clerk, cls.name);
    rows = await recordRows(clerk);
  }
  assert.ok(rows.some((r) => isSealed(r.state)), `set-up: sealed records in ${cls.name}`);
  await clerk.close();
  return { classId, rows };
}

// ---- "Đồng bộ CSDL": the school's sync page (principal, clerk).

/** Menu label of the sync page. */
export const SYNC_MENU = 'Đồng bộ CSDL';
/** How long the school server may take to send sealed records and store the receipts. */
export const SYNC_TIMEOUT_MS = 30_000;

/**
 * The counts of class `className` on the open "Đồng bộ CSDL" page, by its columns:
 * waiting, sending, retrying, accepted (with receipt), rejected, superseded.
 */
export async function syncCounts(page, className = SIGN_CLASS.name) {
  const row = page.locator('main table.list tbody tr').filter({
    has: page.locator('td:first-child', { hasText: new RegExp(`^${className}$`) }),
  });
  const cells = (await row.locator('td').allInnerTexts()).map((s) => s.trim());
  assert.equal(cells.length, 7, `one row for ${className} on "${SYNC_MENU}" (${JSON.stringify(cells)})`);
  const n = cells.slice(1).map((c) => Number.parseInt(c, 10));
  const [waiting, sending, retrying, accepted, rejected, superseded] = n;
  return { waiting, sending, retrying, accepted, rejected, superseded };
}

/**
 * Reloads the open "Đồng bộ CSDL" page until `done(counts of className)` holds — the
 * sender runs in the background, every few seconds — or fails after
 * {@link SYNC_TIMEOUT_MS} with the last counts. Returns the counts.
 */
export async function waitForSync(page, className, done) {
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  for (;;) {
    const counts = await syncCounts(page, className);
    if (done(counts)) return counts;
    if (Date.now() > deadline) {
      assert.fail(`"${SYNC_MENU}" of ${className} after ${SYNC_TIMEOUT_MS} ms: ${JSON.stringify(counts)}`);
    }
    await page.waitForTimeout(500);
    await page.reload();
  }
}
