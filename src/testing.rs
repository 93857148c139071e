//! Test-only helpers shared by the property tests in `src/`: how many cases a
//! property runs.

use proptest::test_runner::Config;

/// A property-test configuration running `cases` cases, unless `PROPTEST_CASES` is
/// set: proptest's own default (256) reads that variable, but `Config::with_cases`
/// would override it, so the variable is honoured here explicitly. `cargo test`
/// stays fast with a small `cases`; `PROPTEST_CASES=10000 cargo test` runs many.
pub fn cases(cases: u32) -> Config {
    let config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_some() { config } else { Config { cases, ..config } }
}
