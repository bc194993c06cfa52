// Story 8 across roles: each role tries one page of another role by its URL and gets
// "Không có quyền" — a subject teacher the principal's "Ký duyệt học bạ", a homeroom
// teacher the clerk's "Đóng dấu số" (a real form post with the session's CSRF token, so
// the refusal is the permission's), a clerk a subject teacher's score grid — and nothing
// changes.

import { USERS, assert, expectText, login, navigating, walk } from '../helpers.mjs';
import { SIGN_CLASS, dashboardCounts, openMenu, WORKFLOW_MENU } from '../workflow.mjs';

/** The title of every refusal page (`AppError::Forbidden`). */
const REFUSED = 'Không có quyền';
/** What the page says when the refusal is the CSRF check's, not the permission's. */
const CSRF_REFUSAL = 'phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ';

/** The id of class `name` as the principal's "Tổng quan nhà trường" links it. */
async function classId(t, name) {
  const p = await t.newPage();
  await login(p, USERS.principal);
  await p.goto('/school');
  const href = await p.locator('main table.list a', { hasText: new RegExp(`^(Lớp )?${name}$`) }).first().getAttribute('href');
  await p.close();
  const id = href?.match(/^\/classes\/(\d+)\//)?.[1];
  assert.ok(id, `class ${name} on the overview (${href})`);
  return id;
}

/** Expects the current page to be the permission's refusal (403, "Bạn không có quyền …"). */
async function expectRefused(page, res, what) {
  assert.equal(res.status(), 403, what);
  await expectText(page.locator('h1'), REFUSED);
  const text = await expectText(page.locator('main'), 'Bạn không có quyền');
  assert.ok(!text.includes(CSRF_REFUSAL), `${what}: refused for the permission, not the CSRF token: ${text}`);
  return text;
}

export default [
  walk('a subject teacher opening "Ký duyệt học bạ" gets "Không có quyền"', async ({ page, shot }) => {
    await login(page, USERS.subjectTeacher);
    const menu = await page.getByRole('navigation').getByRole('link').allInnerTexts();
    assert.ok(!menu.map((s) => s.trim()).includes(WORKFLOW_MENU.signing), `no "${WORKFLOW_MENU.signing}" in ${JSON.stringify(menu)}`);
    const res = await page.goto('/signing');
    const text = await expectRefused(page, res, 'GET /signing as a subject teacher');
    assert.match(text, /xem tình hình ký học bạ/);
    assert.equal(await page.getByRole('button', { name: 'Đóng dấu số' }).count(), 0, 'no seal button');
    assert.equal(await page.getByRole('link', { name: 'Ký hàng loạt' }).count(), 0, 'no batch signing link');
    await shot('refused-signing-subject-teacher');
  }),

  walk('a homeroom teacher posting "Đóng dấu số" for their class gets "Không có quyền"; the signing counts do not move', async (t) => {
    const { page, shot } = t;
    const id = await classId(t, SIGN_CLASS.name);
    // The counts before, as the principal sees them.
    const principal = await t.newPage();
    await login(principal, USERS.principal);
    await openMenu(principal, WORKFLOW_MENU.signing);
    const before = await dashboardCounts(principal);

    await login(page, SIGN_CLASS.homeroom);
    const csrf = await page.locator('header form input[name="_csrf"]').inputValue();
    // The clerk's form, as the homeroom teacher's browser would post it.
    const res = await navigating(page, () =>
      page.evaluate(
        ({ csrf, id }) => {
          const f = document.createElement('form');
          f.method = 'post';
          f.action = '/signing/seal';
          for (const [name, value] of [['_csrf', csrf], ['class', id]]) {
            const i = document.createElement('input');
            i.type = 'hidden';
            i.name = name;
            i.value = value;
            f.append(i);
          }
          document.body.append(f);
          f.submit();
        },
        { csrf, id },
      ),
    );
    await expectRefused(page, res, 'POST /signing/seal as a homeroom teacher');
    await shot('refused-seal-homeroom');

    await principal.reload();
    assert.deepEqual(await dashboardCounts(principal), before, 'the signing counts of the class are unchanged');
  }),

  walk('the clerk opening a score grid gets "Không có quyền"; posting it changes no score', async (t) => {
    const { page, shot } = t;
    const id = await classId(t, '6A1');
    const url = `/scores/${id}/NGU_VAN?hk=2`;
    // What the subject teacher's grid holds before.
    const teacher = await t.newPage();
    await login(teacher, USERS.subjectTeacher);
    await teacher.goto(url);
    const firstInput = teacher.locator('#grid tbody tr').first().locator('input.score').first();
    const name = await firstInput.getAttribute('name');
    const kept = await firstInput.inputValue();

    await login(page, USERS.clerk);
    const res = await page.goto(url);
    await expectRefused(page, res, `GET ${url} as the clerk`);
    assert.equal(await page.locator('#grid').count(), 0, 'no grid');
    await shot('refused-grid-clerk');
    await page.goto('/');
    const csrf = await page.locator('header form input[name="_csrf"]').inputValue();
    const post = await page.request.post(url, {
      form: { _csrf: csrf, [name]: kept === '9' ? '3' : '9' },
      headers: { Origin: new URL(page.url()).origin },
      maxRedirects: 0,
    });
    assert.equal(post.status(), 403, `POST ${url} as the clerk`);
    assert.ok(!(await post.text()).includes(CSRF_REFUSAL), 'refused for the permission');

    await teacher.reload();
    assert.equal(await teacher.locator(`input[name="${name}"]`).inputValue(), kept, 'the score is unchanged');
  }),
];
