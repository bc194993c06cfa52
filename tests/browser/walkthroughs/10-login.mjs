// Story 5 (start) and story 8 (menu): "Đăng nhập" as a subject teacher.

import { MENU, PASSWORD, USERS, assert, expectText, menuLabels, navigating, pathOf, walk } from '../helpers.mjs';

export default [
  walk('subject teacher: a wrong password is refused in Vietnamese, the right one opens a home page with "Nhập điểm" and no other role\'s menu', async ({ page, shot }) => {
    await page.goto('/');
    assert.equal(pathOf(page), '/login', 'an anonymous visit to / goes to the login page');
    await expectText(page.locator('h1'), 'Đăng nhập');
    await shot('login');

    await page.getByLabel('Tên đăng nhập', { exact: true }).fill(USERS.subjectTeacher);
    await page.getByLabel('Mật khẩu', { exact: true }).fill('not-the-password');
    const refused = await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập' }).click());
    assert.equal(refused.status(), 401);
    assert.equal(pathOf(page), '/login');
    await expectText(page.locator('.error-message'), 'Tên đăng nhập hoặc mật khẩu không đúng.');
    assert.equal(await page.getByLabel('Tên đăng nhập', { exact: true }).inputValue(), USERS.subjectTeacher, 'the username is kept');
    assert.equal(await page.getByLabel('Mật khẩu', { exact: true }).inputValue(), '', 'the password is not echoed back');
    await shot('login-wrong-password');

    // Only the password is typed again, as a person would.
    await page.getByLabel('Mật khẩu', { exact: true }).fill(PASSWORD);
    await navigating(page, () => page.getByLabel('Mật khẩu', { exact: true }).press('Enter'));
    assert.equal(pathOf(page), '/');
    await expectText(page.locator('h1'), 'Trang chủ');
    await expectText(page.locator('header .who'), 'Giáo viên bộ môn');

    const menu = await menuLabels(page);
    assert.ok(menu.includes(MENU.scores), `menu ${JSON.stringify(menu)} has "${MENU.scores}"`);
    for (const other of [MENU.summary, MENU.overview]) {
      assert.ok(!menu.includes(other), `menu ${JSON.stringify(menu)} must not offer "${other}"`);
    }
    const cards = (await page.locator('main a.card strong').allInnerTexts()).map((s) => s.trim());
    assert.ok(cards.includes(MENU.scores), `home page cards ${JSON.stringify(cards)} offer "${MENU.scores}"`);
    for (const other of [MENU.summary, MENU.overview]) {
      assert.ok(!cards.includes(other), `home page cards ${JSON.stringify(cards)} must not offer "${other}"`);
    }
    await shot('home-subject-teacher');
  }),
];
