// "Đăng xuất": the session ends on the server, not only in the browser.

import { USERS, assert, expectText, login, logout, pathOf, walk } from '../helpers.mjs';

export default [
  walk('logout ends the session: the login page comes back and pages need a new login', async ({ page, context }) => {
    await login(page, USERS.homeroom);
    const before = (await context.cookies()).map((c) => c.name);
    assert.ok(before.length > 0, 'logged in with a session cookie');

    await logout(page);
    assert.equal(pathOf(page), '/login');
    await expectText(page.locator('h1'), 'Đăng nhập');
    assert.equal(await page.getByRole('button', { name: 'Đăng xuất' }).count(), 0, 'no logout button once logged out');

    for (const url of ['/', '/classes', '/scores']) {
      await page.goto(url);
      assert.equal(pathOf(page), '/login', `${url} after logout leads to the login page`);
    }
  }),
];
