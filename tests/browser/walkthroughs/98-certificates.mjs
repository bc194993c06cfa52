// Stories 3 and 19: the school admin sends a certificate from "Chứng thư số" (it goes to
// the registry and waits, "Chờ phê duyệt"); the supervisor of the school's ward sees
// subject, issuer, validity and fingerprint on "Phê duyệt chứng thư số" and approves it;
// the school's page then shows the decision. A supervisor of another ward cannot open it.
//
// Sends the demo PKI's principal certificate (`ht.cert.pem`); changes nothing the other
// walk-throughs use (the seal the school signs with is approved at start-up).

import path from 'node:path';

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import { SCHOOL, schoolSupervisor, supervisorLogin } from '../registry.mjs';

export default [
  walk('admin sends a certificate ("Chứng thư số"); the ward\'s supervisor approves it on "Phê duyệt chứng thư số"; another ward\'s cannot see it', async (t) => {
    const { page, shot } = t;
    const registry = t.registry;
    await login(page, USERS.admin);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: 'Chứng thư số', exact: true }).click());
    assert.equal(pathOf(page), '/certificates');
    await expectText(page.locator('h1'), 'Chứng thư số');
    await page.getByLabel('Loại').selectOption({ label: 'Cá nhân (hiệu trưởng, giáo viên)' });
    await page.getByLabel(/Tệp chứng thư số/).setInputFiles(path.join(t.pki, 'ht.cert.pem'));
    const sent = await navigating(page, () => page.getByRole('button', { name: 'Gửi chứng thư số' }).click());
    assert.equal(sent.status(), 200, '"Gửi chứng thư số"');
    // The principal's certificate (OU=Hiệu trưởng), listed with the registry's status.
    const mine = page.locator('main table tbody tr', { hasText: 'OU=Hiệu trưởng' });
    assert.equal(await mine.count(), 1, 'the certificate is listed once');
    await expectText(mine, 'Chờ phê duyệt');
    await shot('certificates-sent');

    // The supervisor of the school's ward: the pending certificate with what to check.
    const supervisor = await t.newPage();
    await supervisorLogin(supervisor, registry, schoolSupervisor(t));
    await navigating(supervisor, () => supervisor.getByRole('link', { name: 'Phê duyệt chứng thư số' }).first().click());
    const pending = supervisor
      .locator('main h2:has-text("Chờ phê duyệt") + table tbody tr', { hasText: SCHOOL.code })
      .filter({ hasText: 'OU=Hiệu trưởng' });
    assert.equal(await pending.count(), 1, 'one pending certificate of the school');
    await shot('supervisor-certificates-pending', supervisor);
    await navigating(supervisor, () => pending.getByRole('link').first().click());
    const detailUrl = supervisor.url();
    const details = await supervisor.locator('main table').first().innerText();
    for (const label of ['Chủ thể (Subject)', 'Tổ chức cấp (Issuer)', 'Hiệu lực', 'Dấu vân tay SHA-256', 'Chờ phê duyệt']) {
      assert.ok(details.includes(label), `the certificate page shows "${label}": ${details}`);
    }
    assert.match(details, /[0-9a-f]{2}(:?[0-9a-f]{2}){31}/i, 'a SHA-256 fingerprint');

    // A supervisor of another ward is refused the same page.
    const other = t.registryAccounts.supervisors.find((s) => !s.authority.endsWith(SCHOOL.ward));
    const stranger = await t.newPage();
    await supervisorLogin(stranger, registry, other);
    const refused = await stranger.goto(detailUrl);
    assert.equal(refused.status(), 403, `${other.username} opening a certificate of ${SCHOOL.code}`);
    assert.equal(await stranger.getByRole('button', { name: 'Phê duyệt' }).count(), 0, 'no approve button');

    await supervisor.getByLabel('Ý kiến (không bắt buộc)').fill('Đã đối chiếu với công văn của trường.');
    await shot('supervisor-certificate', supervisor);
    const approved = await navigating(supervisor, () => supervisor.getByRole('button', { name: 'Phê duyệt', exact: true }).click());
    assert.equal(approved.status(), 200, '"Phê duyệt"');
    await supervisor.goto(detailUrl);
    await expectText(supervisor.locator('main table').first(), 'Đã phê duyệt');
    assert.equal(await supervisor.getByRole('button', { name: 'Phê duyệt', exact: true }).count(), 0, 'decided once');

    // The school sees the decision.
    await page.goto('/certificates');
    await expectText(mine, 'Đã phê duyệt');
    await expectText(mine, 'Đã đối chiếu với công văn của trường.');
    await shot('certificates-approved');
  }),
];
