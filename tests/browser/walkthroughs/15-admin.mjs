// Stories 2 and 4 (the school admin, "Quản trị trường"): creates a teacher account and
// prints its first-login password, which the new teacher must change at first login;
// assigns the new teacher a subject of a class in "Phân công giảng dạy", after which the
// class × subject is the teacher's in "Nhập điểm"; and meets a wrong personal ID on
// "Chưa có mã định danh" with the server's Vietnamese reason.
//
// Works on the last class of the school's list (9th grade; the other walk-throughs use
// 6A1, 7A1 and 8A1) and its "Tin học" teaching, and creates the account `gv.tinhoc.moi`.

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';

const NEW_USER = 'gv.tinhoc.moi';
const NEW_NAME = 'Lý Thị Ngọc Ánh';

export default [
  walk('the admin creates an account, prints its password once, the teacher must change it', async (t) => {
    const { page, shot } = t;
    await login(page, USERS.admin);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: 'Quản trị' }).click());
    await navigating(page, () => page.getByRole('link', { name: 'Tài khoản giáo viên' }).first().click());
    assert.equal(pathOf(page), '/admin/accounts');
    await page.getByLabel('Họ và tên').fill(NEW_NAME);
    await page.getByLabel(/^Tên đăng nhập/).fill(NEW_USER);
    await page.getByRole('checkbox', { name: 'Giáo viên bộ môn' }).check();
    await navigating(page, () => page.getByRole('button', { name: 'Tạo tài khoản và in mật khẩu lần đầu' }).click());
    await expectText(page.locator('h1'), 'In mật khẩu lần đầu');
    const row = page.locator('table.print tbody tr', { hasText: NEW_USER });
    assert.equal(await row.count(), 1, 'the new account is on the print page');
    const password = (await row.locator('code.password').innerText()).trim();
    assert.match(password, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/, `first-login password: ${password}`);
    await shot('admin-first-password');

    // Shown once: the account list never shows it again.
    await page.goto('/admin/accounts');
    await expectText(page.locator('main'), NEW_USER);
    assert.ok(!(await page.content()).includes(password), 'the password is not shown again');

    // The new teacher logs in with it and is sent to "Đổi mật khẩu" before anything else.
    const teacher = await t.newPage();
    await teacher.goto('/login');
    await teacher.getByLabel('Tên đăng nhập', { exact: true }).fill(NEW_USER);
    await teacher.getByLabel('Mật khẩu', { exact: true }).fill(password);
    await navigating(teacher, () => teacher.getByRole('button', { name: 'Đăng nhập' }).click());
    assert.equal(pathOf(teacher), '/password', 'first login goes to "Đổi mật khẩu"');
    await teacher.goto('/scores');
    assert.equal(pathOf(teacher), '/password', 'nothing else opens before the change');
    const fresh = 'mat-khau-moi-2026';
    await teacher.getByLabel('Mật khẩu hiện tại').fill(password);
    await teacher.getByLabel(/^Mật khẩu mới/).fill(fresh);
    await teacher.getByLabel('Nhập lại mật khẩu mới').fill(fresh);
    await navigating(teacher, () => teacher.getByRole('button', { name: 'Đổi mật khẩu' }).click());
    await teacher.goto('/scores');
    assert.equal(pathOf(teacher), '/scores', 'after the change the teacher reaches "Nhập điểm"');
  }),

  walk('"Phân công giảng dạy" gives the new teacher a class × subject in "Nhập điểm"', async (t) => {
    const { page, shot } = t;
    await login(page, USERS.admin);
    await page.goto('/admin/teaching');
    const classLink = page.locator('main table.list tbody tr td:first-child a').last();
    const className = (await classLink.innerText()).trim();
    await navigating(page, () => classLink.click());
    const select = page.getByLabel('Tin học', { exact: true });
    const option = select.locator('option', { hasText: NEW_NAME });
    assert.equal(await option.count(), 1, `${NEW_NAME} is offered for Tin học`);
    await select.selectOption({ label: await option.innerText() });
    await navigating(page, () => page.getByRole('button', { name: 'Lưu phân công' }).click());
    await expectText(page.locator('main'), /Đã lưu/);
    await shot('admin-teaching');

    const teacher = await t.newPage();
    await login(teacher, NEW_USER, 'mat-khau-moi-2026');
    await teacher.goto('/scores');
    const rows = teacher.locator('main table.list tbody tr');
    await expectText(rows.first(), className);
    await expectText(rows.first(), 'Tin học');
    assert.equal(await rows.count(), 1, 'only the one assignment is listed');
  }),

  walk('"Chưa có mã định danh" refuses a personal ID that does not match the student', async (t) => {
    const { page, shot } = t;
    await login(page, USERS.admin);
    await page.goto('/admin/personal-ids');
    const input = page.locator('input[name="personal_id"]').first();
    assert.ok((await input.count()) === 1, 'the demo school has students without a personal ID');
    // 12 digits, so the browser lets it through; the century/sex digit 9 and birth year
    // 99 match no student, so the server must refuse it.
    await input.fill('079999000001');
    const form = input.locator('xpath=ancestor::form');
    const response = await navigating(page, () => form.getByRole('button', { name: 'Lưu' }).click());
    assert.equal(response.status(), 422, 'a wrong personal ID is refused');
    await expectText(page.locator('main'), /định danh/);
    await shot('admin-personal-id-refused');
  }),
];
