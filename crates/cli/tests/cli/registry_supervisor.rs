//! `hocba registry add-supervisor`: an account of an authority for its schools, with a
//! first password printed once; unknown schools are refused and nothing is stored.

use crate::support::hocba;

#[test]
fn add_supervisor_prints_a_first_password_that_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("r.sqlite3").display()
    );
    let out = hocba(&[
        "registry",
        "add-school",
        "--db",
        &db,
        "--code",
        "79000303",
        "--name",
        "Trường THPT Chu Văn An",
        "--level",
        "THPT",
        "--authority",
        "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = hocba(&[
        "registry",
        "add-supervisor",
        "--db",
        &db,
        "--authority",
        "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
        "--username",
        "so.hcm",
        "--schools",
        "79000303",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let password = stdout.lines().last().unwrap().trim().to_owned();
    assert!(password.len() >= 16, "{stdout}");

    // An unknown school: refused, no account.
    let out = hocba(&[
        "registry",
        "add-supervisor",
        "--db",
        &db,
        "--authority",
        "Phòng VH-XH",
        "--username",
        "phong",
        "--schools",
        "79000303,79999999",
    ]);
    assert!(!out.status.success());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = store::Store::open(&db).await.unwrap();
        let s = store
            .supervisor_by_username("so.hcm")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.schools, ["79000303"]);
        assert!(registry_server::verify_password(
            &password,
            &s.password_hash
        ));
        assert!(!registry_server::verify_password("wrong", &s.password_hash));
        assert_eq!(store.supervisor_by_username("phong").await.unwrap(), None);
    });
}
