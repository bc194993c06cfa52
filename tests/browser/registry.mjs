// The national registry's pages as people use them (stories 15, 18–24): the supervisor's
// login, "Tiến độ nộp học bạ" and "Phê duyệt thu hồi"; the public "Tra cứu học bạ"
// (parents) and "Xác thực học bạ" (anyone with a paper copy). Every page is on the
// registry's own origin (`t.registry`), so these take full URLs.

import { assert, expectText, navigating } from './helpers.mjs';

/** The demo school whose records the school server sends (Trường THCS Lê Quý Đôn). */
export const SCHOOL = { code: '79000202', name: 'Trường THCS Lê Quý Đôn', ward: 'phường Xuân Hòa' };

/**
 * The demo supervisor of {@link SCHOOL}: the Phòng Văn hóa - Xã hội of its ward, as the
 * registry printed it at start-up (`t.registryAccounts.supervisors`).
 */
export function schoolSupervisor(t) {
  const s = t.registryAccounts.supervisors.find((x) => x.authority.endsWith(SCHOOL.ward));
  assert.ok(s, `a demo supervisor for ${SCHOOL.ward} in ${JSON.stringify(t.registryAccounts.supervisors)}`);
  return s;
}

/** Logs `supervisor` in on the registry's "/supervisor/login" form. */
export async function supervisorLogin(page, registry, supervisor) {
  await page.goto(`${registry}/supervisor/login`);
  await expectText(page.locator('h1'), 'Đăng nhập cơ quan quản lý');
  await page.getByLabel('Tên đăng nhập').fill(supervisor.username);
  await page.getByLabel('Mật khẩu').fill(supervisor.password);
  const res = await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập' }).click());
  assert.equal(res.status(), 200, `supervisor login of ${supervisor.username}`);
  await expectText(page.locator('body'), `${supervisor.username} — ${supervisor.authority}`);
}

/**
 * The rows of the supervisor's "Tiến độ nộp học bạ" table (the page must be open), by
 * column: school ("79000202 — Trường …"), level, grade, expected, received, byJune,
 * rejected, progress, state.
 */
export async function dashboardRows(page) {
  return page.locator('main table tbody tr').evaluateAll((trs) =>
    trs
      .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()))
      .filter((c) => c.length === 9)
      .map(([school, level, grade, expected, received, byJune, rejected, progress, state]) => ({
        school,
        level,
        grade,
        expected,
        received: Number(received),
        byJune: Number(byJune),
        rejected: Number(rejected),
        progress,
        state,
      })),
  );
}

/**
 * "Tra cứu học bạ": fills the three facts a parent knows and submits. Returns the
 * response; the page then shows the student's records (or "Không tìm thấy").
 */
export async function lookUp(page, registry, { personalId, studentCode, born }) {
  await page.goto(`${registry}/tra-cuu`);
  await expectText(page.locator('h1'), 'Tra cứu học bạ');
  await page.getByLabel('Số định danh cá nhân').fill(personalId);
  await page.getByLabel('Mã định danh học sinh').fill(studentCode);
  await page.getByLabel('Ngày sinh').fill(born); // an <input type="date">: YYYY-MM-DD
  return navigating(page, () => page.getByRole('button', { name: 'Tra cứu' }).click());
}

/**
 * The rows of the lookup result's records table: year, grade, school, record (id and
 * version as shown), status (with lineage notes).
 */
export async function lookupRows(page) {
  return page.locator('table').first().locator('tr').evaluateAll((trs) =>
    trs
      .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()))
      .filter((c) => c.length === 6)
      .map(([year, grade, school, record, status]) => ({ year, grade, school, record, status })),
  );
}
