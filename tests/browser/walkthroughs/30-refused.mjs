// Story 8: a subject teacher cannot open another subject or another class — not from
// the menu (10-login), not by typing the URL, not by posting the form.

import { USERS, assert, expectText, login, walk } from '../helpers.mjs';

export default [
  walk('subject teacher typing the URL of a class or subject not assigned to them gets "Bạn không có quyền"; posting the form is refused too', async ({ page, newPage, shot }) => {
    // The principals' overviews tell which class ids belong to which school.
    const classIds = async (principal) => {
      const p = await newPage();
      await login(p, principal);
      await p.goto('/school');
      return p
        .locator('main table.list a[href^="/classes/"]')
        .evaluateAll((as) => as.map((a) => a.getAttribute('href').split('/')[2]));
    };
    const schoolClasses = await classIds(USERS.principal);
    const otherSchoolClasses = await classIds(USERS.otherSchoolPrincipal);
    assert.ok(schoolClasses.length > 0 && otherSchoolClasses.length > 0, 'both schools have classes');

    await login(page, USERS.subjectTeacher);
    await page.goto('/scores');
    const own = await page
      .locator('main table.list a')
      .evaluateAll((as) => as.map((a) => new URL(a.href).pathname.split('/').slice(2)));
    assert.ok(own.length > 0, 'the teacher has assignments');
    const ownClasses = new Set(own.map(([c]) => c));
    const ownSubjects = new Set(own.map(([, s]) => s));
    const [myClass, mySubject] = own[0];
    const otherSubject = ['TOAN', 'KHTN', 'TIENG_ANH'].find((s) => !ownSubjects.has(s));
    // In the demo this teacher teaches Ngữ văn in every class of the school, so
    // "another class" may only exist in another school.
    const otherClass = schoolClasses.find((c) => !ownClasses.has(c));
    const otherSchoolClass = otherSchoolClasses[0];

    const attempts = [
      [`/scores/${myClass}/${otherSubject}?hk=1`, 'another subject of a class they teach'],
      [`/scores/${otherSchoolClass}/${mySubject}?hk=1`, 'a class of another school'],
      ['/scores/999999/NGU_VAN?hk=2', 'a class id that does not exist (refused the same way)'],
    ];
    if (otherClass) {
      attempts.push([`/scores/${otherClass}/${mySubject}?hk=2`, 'their subject in a class of the school they do not teach']);
    }
    for (const [url, what] of attempts) {
      const res = await page.goto(url);
      assert.equal(res.status(), 403, `${what} (${url})`);
      await expectText(page.locator('main'), 'Bạn không có quyền xem hay nhập điểm môn học này của lớp này');
      assert.equal(await page.locator('#grid').count(), 0, `no grid shown for ${url}`);
    }
    await page.goto(attempts[0][0]);
    await shot('refused-other-subject');

    for (const [url, reason] of [
      ['/classes', 'Bạn không có quyền xem tổng hợp kết quả'],
      ['/school', 'Bạn không có quyền xem tổng quan nhà trường'],
    ]) {
      const res = await page.goto(url);
      assert.equal(res.status(), 403, url);
      await expectText(page.locator('main'), reason);
    }

    // Posting the grid form of a class × subject not assigned, with the session's valid
    // CSRF token: refused for the permission, not for the token.
    await page.goto('/');
    const csrf = await page.locator('header form input[name="_csrf"]').inputValue();
    const post = await page.request.post(`/scores/${myClass}/${otherSubject}?hk=1`, {
      form: { _csrf: csrf, [`gk_x`]: '5' },
      headers: { Origin: new URL(page.url()).origin },
      maxRedirects: 0,
    });
    assert.equal(post.status(), 403, 'POST to a grid not assigned');
    assert.match(await post.text(), /Bạn không có quyền xem hay nhập điểm môn học này của lớp này/);
  }),
];
