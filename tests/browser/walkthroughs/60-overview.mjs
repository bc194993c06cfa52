// "Tổng quan nhà trường": principal, admin and clerk see the school overview and no
// teacher's menu.

import { MENU, USERS, assert, expectText, login, menuLabels, navigating, pathOf, walk } from '../helpers.mjs';

export default [
  walk('principal opens "Tổng quan nhà trường": classes, head counts, students without a personal ID', async ({ page, shot }) => {
    await login(page, USERS.principal);
    assertOfficeMenu(await menuLabels(page), USERS.principal);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.overview }).click());
    assert.equal(pathOf(page), '/school');
    await expectText(page.locator('h1'), MENU.overview);
    await expectText(page.locator('ul.counts'), /\d+ học sinh chưa có mã định danh/);
    const classes = (await page.locator('main table.list tbody tr td:first-child').allInnerTexts()).map((s) => s.trim());
    assert.ok(classes.includes('6A1'), `the class list ${JSON.stringify(classes)} includes 6A1`);
    await shot('school-overview');
  }),

  walk('admin and clerk have the overview and no teacher\'s menu; /scores is refused', async ({ page }) => {
    for (const user of [USERS.admin, USERS.clerk]) {
      await login(page, user);
      assertOfficeMenu(await menuLabels(page), user);
      const res = await page.goto('/scores');
      assert.equal(res.status(), 403, `${user} opening /scores`);
      await page.context().clearCookies();
    }
  }),
];

/** Office roles see "Tổng quan nhà trường" and none of the teachers' entries. */
function assertOfficeMenu(menu, user) {
  assert.ok(menu.includes(MENU.overview), `menu of ${user} ${JSON.stringify(menu)} has "${MENU.overview}"`);
  for (const teacherOnly of [MENU.scores, MENU.summary]) {
    assert.ok(!menu.includes(teacherOnly), `menu of ${user} ${JSON.stringify(menu)} must not offer "${teacherOnly}"`);
  }
}
