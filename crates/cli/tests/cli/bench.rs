//! `hocba bench year-end` runs the whole year end of a (small) school and reports each
//! phase; no timing is asserted (timings are for the benchmark, not for tests).

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
