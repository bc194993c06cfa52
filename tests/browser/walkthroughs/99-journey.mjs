// The demo's whole journey across the school and the national registry (issue 6, stories
// 10–13, 15, 17–24): the school signs a class (homeroom teacher → principal's batch
// signing → clerk's seal) → "Đồng bộ CSDL" shows the receipts → the supervisor's
// dashboard counts the school's records → a parent finds the year on "Tra cứu học bạ"
// (and shares it with a code, then revokes the code) →
// a stranger opens the paper copy's verify link and sees "Học bạ hợp lệ", school, year
// and signers, and nothing personal → the school asks for a revocation ("Đề nghị thu
// hồi"), the supervisor approves it, and the lookup, the verify page and the
// supervisor's list all show it → the principal makes the replacing version ("Lập phiên
// bản thay thế"), it is signed, sealed and synced, and the lookup shows the lineage.
//
// Works on 8A1 (homeroom teacher gvcn3.0202), which no other walk-through touches, so it
// does not depend on their order. Every step is done in the browser; the personal ID and
// birth date a parent knows are read from the record's XML the school's versions page
// offers, and the verify link from the text of the paper copy PDF (`pdftotext`; the QR
// image encodes the same link).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import { SCHOOL, dashboardRows, lookUp, lookupRows, schoolSupervisor, supervisorLogin } from '../registry.mjs';
import {
  STATE,
  SYNC_MENU,
  clickReview,
  dashboardRow,
  ensureSealed,
  fillKey,
  isSealed,
  openClassRecordsFromDashboard,
  openMenu,
  openOwnClassRecords,
  recordRows,
  signAsHomeroom,
  versionRows,
  waitForSync,
  WORKFLOW_MENU,
} from '../workflow.mjs';

/** The journey's class and its homeroom teacher. */
const CLASS = { name: '8A1', homeroom: 'gvcn3.0202' };
const REVOKE_REASON = 'Ghi nhầm số ngày nghỉ có phép học kì II (biên bản ngày 02/7/2026)';
/** What the registry's verify page says of a valid record (`Verdict::Valid`). */
const VALID = 'Học bạ hợp lệ';
const REVOKED_VERDICT = 'Học bạ đã bị thu hồi hoặc đã được thay thế';

/** The text of one element of `xml` (first occurrence). */
function element(xml, name) {
  const m = xml.match(new RegExp(`<${name}>([^<]*)</${name}>`));
  assert.ok(m, `<${name}> in the record`);
  return m[1];
}

export default [
  walk(
    'journey: school signs 8A1 → sync receipts → supervisor dashboard → parent lookup → stranger verifies the paper copy → revocation approved → replacing version',
    async (t) => {
      const { shot } = t;
      const registry = t.registry;

      // ---- 1. The school signs the class: homeroom review and signature, the
      // principal's batch signing, the clerk's seal (through the same pages as 70/80).
      const { classId } = await ensureSealed(t, CLASS);
      const clerk = await t.newPage();
      await login(clerk, USERS.clerk);
      await openClassRecordsFromDashboard(clerk, CLASS.name);
      const sealed = (await recordRows(clerk)).filter((r) => isSealed(r.state));
      assert.ok(sealed.length >= 20, `8A1 sealed (${sealed.length} records)`);

      // ---- 2. "Đồng bộ CSDL": every sealed record accepted, with its receipt.
      await openMenu(clerk, SYNC_MENU);
      const counts = await waitForSync(clerk, CLASS.name, (c) => c.accepted === sealed.length);
      assert.deepEqual(
        [counts.waiting, counts.sending, counts.retrying, counts.rejected],
        [0, 0, 0, 0],
        `8A1 on "${SYNC_MENU}": ${JSON.stringify(counts)}`,
      );
      await shot('journey-sync');

      // The student we follow: the first one of the class with a sealed record.
      const student = sealed[0];
      await clerk.goto(`/students/${student.code}/records`);
      await expectText(clerk.locator('main tr[data-version="1"] [data-col="sync"]'), 'Đã gửi, có biên nhận');
      // The facts a parent knows, from the signed record the school holds.
      const xmlHref = await clerk.locator('main tr[data-version="1"]').getByRole('link', { name: 'XML', exact: true }).getAttribute('href');
      const xml = await (await clerk.request.get(xmlHref)).text();
      const facts = {
        recordId: element(xml, 'MaDinhDanhHocBa'),
        personalId: element(xml, 'SoDinhDanhCaNhan'),
        studentCode: element(xml, 'MaHocSinh'),
        born: element(xml, 'NgaySinh'),
        name: element(xml, 'HoVaTen'),
      };
      assert.equal(facts.studentCode, student.code);
      assert.match(facts.born, /^\d{4}-\d{2}-\d{2}$/, `birth date ${facts.born}`);

      // ---- 3. The supervisor (Phòng VH-XH of the school's ward) sees the records on the
      // dashboard of the year 2025-2026.
      const supervisor = await t.newPage();
      const account = schoolSupervisor(t);
      await supervisorLogin(supervisor, registry, account);
      await navigating(supervisor, () => supervisor.getByRole('link', { name: 'Tiến độ nộp học bạ' }).click());
      await expectText(supervisor.locator('h1'), 'Tiến độ nộp học bạ');
      // The demo year: the page opens on the current school year, which the demo data is
      // not in, so the supervisor picks 2025 (the page has no year menu; the URL does).
      await supervisor.goto(`${registry}/supervisor/dashboard?year=2025`);
      await expectText(supervisor.locator('main'), 'Năm học 2025-2026');
      const grade8 = (await dashboardRows(supervisor)).find((r) => r.school.startsWith(`${SCHOOL.code} — `) && r.grade === '8');
      assert.ok(grade8, `a row for ${SCHOOL.code}, khối 8 on the dashboard`);
      assert.ok(grade8.school.includes(SCHOOL.name), grade8.school);
      assert.equal(grade8.received, sealed.length, `records of khối 8 received: ${JSON.stringify(grade8)}`);
      assert.equal(grade8.rejected, 0);
      await shot('journey-supervisor-dashboard', supervisor);

      // ---- 4. A parent finds the year on "Tra cứu học bạ" with the three facts.
      const parent = await t.newPage();
      const found = await lookUp(parent, registry, facts);
      assert.equal(found.status(), 200, '"Tra cứu" with the right facts');
      await expectText(parent.locator('h1'), 'Học bạ của học sinh');
      await expectText(parent.locator('main'), facts.name);
      let records = await lookupRows(parent);
      const year = records.find((r) => r.record.startsWith(facts.recordId));
      assert.ok(year, `the record ${facts.recordId} is listed: ${JSON.stringify(records)}`);
      assert.deepEqual([year.year, year.grade, year.school, year.status], ['2025-2026', '8', SCHOOL.name, 'Hiện hành']);
      await shot('journey-lookup', parent);
      // A wrong birth date finds nothing, and says nothing about which fact was wrong.
      const wrong = await lookUp(parent, registry, { ...facts, born: '2000-01-01' });
      assert.equal(wrong.status(), 404);
      await expectText(parent.locator('main'), 'Không tìm thấy học bạ với thông tin đã nhập');

      // ---- 4b. The parent shares the records with a school (story 23): a code for "Tất
      // cả học bạ", 30 days; the receiver sees the year, verified; once the parent revokes
      // the code, the link shows nothing.
      await lookUp(parent, registry, facts);
      await parent.getByLabel('Học bạ:').selectOption('all');
      await parent.getByLabel('Thời hạn:').selectOption('30');
      await navigating(parent, () => parent.getByRole('button', { name: 'Tạo mã chia sẻ' }).click());
      await expectText(parent.locator('h1'), 'Mã chia sẻ học bạ');
      const shareCode = (await parent.locator('main .verdict code').innerText()).trim();
      assert.ok(shareCode.length >= 8, `a share code (${shareCode})`);
      const receiver = await t.newPage();
      const shared = await receiver.goto(`${registry}/chia-se/${encodeURIComponent(shareCode)}`);
      assert.equal(shared.status(), 200, 'the share link opens');
      await expectText(receiver.locator('h1'), 'Học bạ được chia sẻ');
      await expectText(receiver.locator('main'), 'Năm học 2025-2026 — khối 8');
      await expectText(receiver.locator('main .verdict'), VALID);
      assert.ok(!(await receiver.locator('main').innerText()).includes(facts.personalId), 'no personal ID on the shared page');
      await shot('journey-share', receiver);
      await navigating(parent, () => parent.getByRole('button', { name: 'Quay lại danh sách học bạ' }).click());
      const shareRow = parent.locator('main table tr', { hasText: 'Còn hiệu lực' });
      assert.equal(await shareRow.count(), 1, 'one active share code listed');
      await navigating(parent, () => shareRow.getByRole('button', { name: 'Thu hồi mã' }).click());
      await expectText(parent.locator('main'), 'Đã thu hồi mã chia sẻ.');
      const gone = await receiver.reload();
      assert.equal(gone.status(), 404, 'a revoked share code opens nothing');
      await expectText(receiver.locator('main'), 'Mã chia sẻ không tồn tại, đã hết hạn hoặc đã bị thu hồi.');

      // ---- 5. A stranger holding the paper copy opens the link its QR code encodes.
      const pdfHref = await clerk.locator('main tr[data-version="1"]').getByRole('link', { name: 'In bản sao giấy' }).getAttribute('href');
      const pdf = await clerk.request.get(pdfHref);
      assert.equal(pdf.status(), 200);
      const pdfPath = path.join(t.tmp, `journey-${student.code}.pdf`);
      fs.writeFileSync(pdfPath, await pdf.body());
      const text = spawnSync('pdftotext', ['-enc', 'UTF-8', pdfPath, '-'], { encoding: 'utf8' });
      assert.equal(text.status, 0, `pdftotext: ${text.stderr}`);
      const printed = text.stdout.replace(/\s+/g, ' ');
      // The footer box: "Mã tra cứu: CODE" and "Tra cứu tại: URL" (the URL may wrap).
      const code = printed.match(/Mã tra cứu: ([0-9a-f-]{36})/)?.[1];
      assert.equal(code, facts.recordId, `the printed lookup code is the record id: ${printed.slice(-600)}`);
      const printedUrl = printed.match(/Tra cứu tại: (.+?) Quét mã QR/)?.[1].replace(/ /g, '');
      assert.ok(printedUrl, `the paper copy prints the verify link: ${printed.slice(-600)}`);
      assert.equal(new URL(printedUrl).searchParams.get('code'), code, `the link ${printedUrl} carries the code`);
      // The printed link's host is the server's configured public verify address; the
      // path and code are what the registry answers, so open them on the test registry.
      const verifyUrl = `${registry}${new URL(printedUrl).pathname}?code=${code}`;
      const stranger = await t.newPage();
      await stranger.goto(verifyUrl);
      await expectText(stranger.locator('main .verdict'), VALID);
      const verdict = (await stranger.locator('main .verdict').innerText()).trim();
      assert.equal(verdict, VALID, 'valid, not revoked');
      const page5 = await stranger.locator('main').innerText();
      for (const shown of [SCHOOL.name, '2025-2026', '8A1', 'Giáo viên chủ nhiệm', 'Hiệu trưởng', 'Dấu đơn vị']) {
        assert.ok(page5.includes(shown), `the verify page shows ${shown}`);
      }
      const signers = stranger.locator('main h2:has-text("Chữ ký số") + table tr:has(td)');
      assert.equal(await signers.count(), 3, 'three signers: homeroom teacher, principal, seal');
      // The seal is the school's own: its certificate names the THCS school.
      const seal = (await signers.filter({ hasText: 'Dấu đơn vị' }).innerText()).trim();
      assert.ok(seal.includes(SCHOOL.name), `the seal row names ${SCHOOL.name}: ${seal}`);
      const [d, m, y] = [facts.born.slice(8, 10), facts.born.slice(5, 7), facts.born.slice(0, 4)];
      for (const secret of [facts.personalId, facts.born, `${d}/${m}/${y}`, facts.studentCode, facts.name]) {
        assert.ok(!page5.includes(secret), `the verify page does not show ${secret}`);
      }
      await shot('journey-verify-valid', stranger);

      // ---- 6. Revocation: the principal asks on the student's versions page …
      const principal = await t.newPage();
      await login(principal, USERS.principal);
      await principal.goto(`/students/${student.code}/records`);
      const v1 = principal.locator('main tr[data-version="1"]');
      await v1.getByLabel('Lý do đề nghị thu hồi').fill(REVOKE_REASON);
      const asked = await navigating(principal, () => v1.getByRole('button', { name: 'Đề nghị thu hồi' }).click());
      assert.equal(asked.status(), 200, '"Đề nghị thu hồi"');
      await expectText(principal.locator('main tr[data-version="1"] [data-col="revocation"]'), 'Đang chờ phê duyệt thu hồi');
      await shot('journey-revocation-requested', principal);

      // … the supervisor approves it on "Phê duyệt thu hồi" …
      await supervisor.goto(`${registry}/supervisor/revocations`);
      await expectText(supervisor.locator('h1'), 'Phê duyệt thu hồi');
      const request = supervisor.locator('main table', { hasText: facts.recordId }).first();
      await expectText(request, REVOKE_REASON);
      await expectText(request, SCHOOL.code);
      const form = supervisor.locator('main table', { hasText: facts.recordId }).first().locator('xpath=following-sibling::form[1]');
      await form.getByLabel('Ý kiến:').fill('Đồng ý thu hồi để trường sửa.');
      await shot('journey-revocation-pending', supervisor);
      const approved = await navigating(supervisor, () => form.getByRole('button', { name: 'Phê duyệt thu hồi' }).click());
      assert.equal(approved.status(), 200);
      await expectText(supervisor.locator('main'), `Đề nghị thu hồi học bạ ${facts.recordId}: đã phê duyệt.`);

      // … and all three views show the record revoked.
      await supervisor.goto(`${registry}/supervisor/revocations`);
      const decided = supervisor.locator('main h2:has-text("Đã xử lý") + table tr', { hasText: facts.recordId });
      await expectText(decided, 'Đã phê duyệt');
      await shot('journey-revocation-approved', supervisor);
      await navigating(supervisor, () => decided.getByRole('link', { name: facts.recordId }).click());
      await expectText(supervisor.locator('main .verdict'), REVOKED_VERDICT);
      await expectText(supervisor.locator('main'), `Đã thu hồi lúc`);

      await stranger.goto(verifyUrl);
      await expectText(stranger.locator('main .verdict'), REVOKED_VERDICT);
      await expectText(stranger.locator('main'), `Lý do: ${REVOKE_REASON}`);
      await shot('journey-verify-revoked', stranger);

      await lookUp(parent, registry, facts);
      records = await lookupRows(parent);
      const revoked = records.find((r) => r.record.startsWith(facts.recordId));
      assert.match(revoked.status, /^Đã thu hồi lúc .*Lý do: /, `lookup status: ${revoked.status}`);
      await shot('journey-lookup-revoked', parent);

      // The school's versions page learns the decision from the registry.
      await principal.goto(`/students/${student.code}/records`);
      await expectText(principal.locator('main tr[data-version="1"] [data-col="revocation"]'), 'Đã phê duyệt thu hồi');

      // ---- 7. The replacing version: drafted by the principal, reviewed and signed by
      // the homeroom teacher, batch-signed, sealed, synced; the lookup shows the lineage.
      const reissue = principal.locator('main tr[data-version="1"]').getByRole('button', { name: 'Lập phiên bản thay thế' });
      await navigating(principal, () => reissue.click());
      await expectText(principal.locator('main p.ok'), 'Đã lập phiên bản 2 (bản nháp) thay thế phiên bản 1 đã thu hồi');
      let versions = await versionRows(principal);
      assert.deepEqual(versions.map((v) => v.version).sort(), ['1', '2']);
      assert.equal(versions.find((v) => v.version === '2').state, STATE.draft);

      const homeroom = await t.newPage();
      await login(homeroom, CLASS.homeroom);
      await openOwnClassRecords(homeroom, CLASS.name);
      if (await homeroom.getByRole('button', { name: 'Xác nhận tổng hợp' }).count()) {
        const res = await clickReview(homeroom);
        assert.equal(res.status(), 200, '"Xác nhận tổng hợp" of the new version');
      }
      const signed = await signAsHomeroom(homeroom, t.pki);
      assert.equal(signed.status(), 200, '"Ký số học bạ lớp" of the new version');
      await expectText(homeroom.locator('main p.ok'), 'Đã ký 1 học bạ.');

      await principal.goto(`/signing/batch?class=${classId}`);
      await fillKey(principal, path.join(t.pki, 'ht.p12'));
      const batch = await navigating(principal, () => principal.getByRole('button', { name: 'Ký hàng loạt' }).click());
      assert.equal(batch.status(), 200);
      await expectText(principal.locator('main p.ok'), 'Đã ký 1 học bạ.');

      await openMenu(clerk, WORKFLOW_MENU.signing);
      await navigating(clerk, () => dashboardRow(clerk, CLASS.name).getByRole('button', { name: 'Đóng dấu số' }).click());
      await expectText(clerk.locator('main p.ok'), 'Đã đóng dấu 1 học bạ.');
      await openMenu(clerk, SYNC_MENU);
      await waitForSync(clerk, CLASS.name, (c) => c.accepted === sealed.length + 1);

      await principal.goto(`/students/${student.code}/records`);
      versions = await versionRows(principal);
      assert.equal(versions.find((v) => v.version === '2').state, STATE.synced, 'version 2 synced');

      await lookUp(parent, registry, facts);
      records = await lookupRows(parent);
      const current = records.find((r) => /\(phiên bản 2\)/.test(r.record));
      assert.ok(current, `version 2 is listed: ${JSON.stringify(records)}`);
      assert.match(current.status, /^Hiện hành/);
      assert.match(current.status, new RegExp(`Thay thế phiên bản 1 \\(mã ${facts.recordId}\\)`));
      const old = records.find((r) => r.record.startsWith(facts.recordId));
      assert.match(old.status, /Được thay thế bởi phiên bản 2/);
      await shot('journey-lookup-lineage', parent);
      assert.equal(pathOf(parent), '/tra-cuu');
    },
    { timeout: 150_000 },
  ),
];
