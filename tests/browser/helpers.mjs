// What walk-throughs share: the demo accounts, logging in and out, waiting for a form
// submission, screenshots and a few assertions playwright-core does not have
// (`expect` lives in @playwright/test, which we do not install).

import assert from 'node:assert/strict';

/** Password of every demo account (`hocba demo seed`). */
export const PASSWORD = 'hocba-demo';

/** Demo accounts at Trường THCS Lê Quý Đôn (school code 0202). */
export const USERS = {
  subjectTeacher: 'gv.nguvan.0202', // Giáo viên bộ môn, Ngữ văn
  homeroom: 'gvcn1.0202', // Giáo viên chủ nhiệm 6A1
  principal: 'hieutruong.0202',
  admin: 'admin.0202',
  clerk: 'vanthu.0202',
  /** Principal of another school (Trường THPT, code 0303). */
  otherSchoolPrincipal: 'hieutruong.0303',
};

/** Labels of the menu entries ("header nav"). */
export const MENU = {
  scores: 'Nhập điểm',
  summary: 'Tổng hợp kết quả',
  overview: 'Tổng quan nhà trường',
};

/**
 * Declares one walk-through; a file in walkthroughs/ exports an array of these.
 * `options.timeout` (ms) replaces the runner's default limit for a long one.
 */
export function walk(name, fn, options = {}) {
  return { name, fn, timeout: options.timeout };
}

/**
 * Runs `action` (a click, a key press) that submits a form or follows a link, and waits
 * until the resulting page has loaded. Returns the main-document response.
 */
export async function navigating(page, action) {
  // The final document: a navigation of the main frame that is not a redirect.
  const response = page.waitForResponse(
    (r) =>
      r.request().isNavigationRequest() &&
      r.request().frame() === page.mainFrame() &&
      (r.status() < 300 || r.status() >= 400),
  );
  const committed = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  try {
    await action();
  } catch (e) {
    // Nothing will navigate: let the two waits fail quietly when the page closes.
    response.catch(() => {});
    committed.catch(() => {});
    throw e;
  }
  const [res] = await Promise.all([response, committed]);
  await page.waitForLoadState('load');
  return res;
}

/** Logs in through the "Đăng nhập" form; fails unless it lands on the home page. */
export async function login(page, username, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Tên đăng nhập', { exact: true }).fill(username);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password);
  await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập' }).click());
  assert.equal(new URL(page.url()).pathname, '/', `login as ${username} should land on the home page`);
}

/** Logs out with the "Đăng xuất" button of the header. */
export async function logout(page) {
  await navigating(page, () => page.getByRole('button', { name: 'Đăng xuất' }).click());
}

/** The labels of the header menu, in order. */
export async function menuLabels(page) {
  return (await page.getByRole('navigation').getByRole('link').allInnerTexts()).map((s) => s.trim());
}

/** Waits until `locator` (first match) is visible and contains `text` (string or RegExp). */
export async function expectText(locator, text, timeout = 5_000) {
  const deadline = Date.now() + timeout;
  let seen = '';
  for (;;) {
    seen = (await locator.first().innerText({ timeout }).catch(() => '')) ?? '';
    if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) return seen;
    if (Date.now() > deadline) {
      assert.fail(`expected ${locator} to contain ${JSON.stringify(String(text))}; it reads ${JSON.stringify(seen.slice(0, 500))}`);
    }
    await locator.page().waitForTimeout(50);
  }
}

/** The page's path, e.g. `/scores`. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

export { assert };

/**
 * ĐTBmhk (TT22 art. 9 §2a) of typed scores ("8,5" or "8.5"), shown as the pages show it
 * ("7,8"): (Σ ĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5), rounded half up to tenths.
 */
export function semesterAverage(regular, midterm, finalExam) {
  const t = (s) => Math.round(Number(String(s).replace(',', '.')) * 10);
  const num = regular.reduce((a, s) => a + t(s), 0) + 2 * t(midterm) + 3 * t(finalExam);
  const den = regular.length + 5;
  const avg = Math.floor((2 * num + den) / (2 * den));
  return `${Math.floor(avg / 10)},${avg % 10}`;
}

/** A score as the grid shows it once stored: decimal comma, no trailing ",0". */
export function storedForm(score) {
  const tenths = Math.round(Number(String(score).replace(',', '.')) * 10);
  return tenths % 10 === 0 ? String(tenths / 10) : `${Math.floor(tenths / 10)},${tenths % 10}`;
}

/**
 * One student's line of the "Nhập điểm" grid (`#grid tbody tr`): the name, the student
 * code and every score input in order (`tx_<code>_<i>`…, `gk_<code>`, `ck_<code>`) with
 * its value.
 */
export async function readGridRow(row) {
  const name = await studentName(row);
  const cells = await row
    .locator('input.score')
    .evaluateAll((inputs) => inputs.map((i) => ({ name: i.name, value: i.value })));
  const code = cells[0].name.replace(/^tx_/, '').replace(/_\d+$/, '');
  return { name, code, cells, average: (await row.locator('td.avg output').innerText()).trim() };
}

/** The `name` of the focused element. */
export function focusedName(page) {
  return page.evaluate(() => document.activeElement?.getAttribute('name') ?? document.activeElement?.tagName);
}

/** The text of the cells of the summary table's row for `student`, by column header. */
export async function summaryRow(page, student) {
  const subjects = await page
    .locator('table.summary thead tr')
    .first()
    .locator('th[colspan="3"]')
    .allInnerTexts();
  const rows = page.locator('table.summary tbody tr');
  const names = await rows.evaluateAll((trs) =>
    trs.map((tr) => {
      const td = tr.querySelector('td.name');
      // Only the cell's own text: links beside the name ("Lịch sử") are not part of it.
      return td ? [...td.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim() : '';
    }),
  );
  const at = names.flatMap((n, i) => (n === student ? [i] : []));
  assert.equal(at.length, 1, `one summary row for ${student} (rows: ${JSON.stringify(names.slice(0, 5))}…)`);
  return summaryCells(subjects, await rows.nth(at[0]).locator('td').allInnerTexts());
}

/** Every row of the summary table, as {@link summaryRow} reads one. */
export async function summaryRows(page) {
  const groups = await page.locator('table.summary thead tr').first().locator('th[colspan="3"]').allInnerTexts();
  const rows = page.locator('table.summary tbody tr');
  const out = [];
  for (let i = 0; i < (await rows.count()); i += 1) {
    out.push(summaryCells(groups, await rows.nth(i).locator('td').allInnerTexts()));
  }
  return out;
}

// The layout of a summary row: STT, name, three cells (HK I, HK II, CN) per subject and
// per "Kết quả học tập" / "Kết quả rèn luyện", two for "Số ngày nghỉ", then "Kết quả cuối
// năm", "Danh hiệu", "Còn thiếu / ghi chú".
function summaryCells(groups, texts) {
  const cells = texts.map((s) => s.trim());
  const bySubject = {};
  groups.forEach((s, i) => {
    bySubject[s.trim()] = { hk1: cells[2 + 3 * i], hk2: cells[3 + 3 * i], year: cells[4 + 3 * i] };
  });
  const after = 2 + 3 * groups.length;
  return {
    cells,
    bySubject,
    learning: bySubject['Kết quả học tập'],
    absences: { excused: cells[after], unexcused: cells[after + 1] },
    yearEnd: cells[after + 2],
    title: cells[after + 3],
    notes: cells[after + 4],
  };
}

/**
 * The student's name in a grid or summary row: the text of `td.name` itself, without
 * the links pages put beside it (e.g. "Lịch sử").
 */
export function studentName(row) {
  return row
    .locator('td.name')
    .evaluate((td) => [...td.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim());
}
