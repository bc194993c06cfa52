//! `hocba bench year-end` runs the whole year end of a (small) school and reports each
//! phase; `bench ingest` and `bench lookup` run on a small registry in PostgreSQL. No
//! timing is asserted (timings are for the benchmark, not for tests).

use crate::support::hocba;

#[test]
fn year_end_benchmark_runs_every_phase_on_a_small_school() {
    let out = hocba(&["bench", "year-end", "--students", "60", "--threads", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for phase in ["compute + build", "sign 3 ×", "store reviews", "total"] {
        assert!(text.contains(phase), "no {phase:?} in:\n{text}");
    }
}

#[test]
fn ingest_benchmark_prints_the_measure_beside_its_baselines() {
    let admin = std::env::var("HOCBA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let out = hocba(&[
        "bench",
        "ingest",
        "--db",
        &admin,
        "--records",
        "12",
        "--threads",
        "2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for line in ["verification alone", "insert alone", "full ingest"] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
}

#[test]
fn ingest_benchmark_stores_every_record_with_and_without_group_commit() {
    let admin = std::env::var("HOCBA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let out = hocba(&[
        "bench",
        "ingest",
        "--db",
        &admin,
        "--records",
        "20",
        "--in-flight",
        "8",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "chains cached across records",
        "batches of   8",
        "group commit",
        "one insert per request",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
}

#[test]
fn lookup_benchmark_loads_the_registry_and_reports_latencies_with_plans() {
    let admin = std::env::var("HOCBA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let out = hocba(&[
        "bench",
        "lookup",
        "--db",
        &admin,
        "--records",
        "300",
        "--signed",
        "3",
        "--rate",
        "20",
        "--seconds",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "297 / 297",
        "3 records, POST /tra-cuu",
        "300 records, GET /api/v1/verify",
        "20 of 20 answered 200",
        "plan, record by paper-copy code",
        "target p99 < 20 ms",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    assert!(!text.contains(" 0 of 20 answered"), "{text}");
}
