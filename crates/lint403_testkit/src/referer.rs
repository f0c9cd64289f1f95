//! The check both tracers' tests make of `trace_reading_referer`: a trace
//! that says it did not read the Referer must give the same verdict
//! whatever the Referer is.

use lint403_core::{Request, Verdict};

/// Traces `GET path` for `Host: example.com` three times — with a foreign
/// Referer, the site's own, and none — through `trace` (a configuration's
/// `trace_reading_referer`). Returns whether the foreign-Referer trace read
/// the header, and whether the three verdicts agree (status and deciding
/// lines).
pub fn reads_referer(path: &str, trace: impl Fn(&Request) -> (Verdict, bool)) -> (bool, bool) {
    let with = |referer: Option<&str>| {
        let mut request = Request::new("GET", path);
        request.set_header("Host", "example.com");
        if let Some(referer) = referer {
            request.set_header("Referer", referer);
        }
        trace(&request)
    };
    let (foreign, read) = with(Some("https://evil.test/page"));
    let (own, _) = with(Some("https://example.com/page"));
    let (none, _) = with(None);
    let same = [&own, &none]
        .iter()
        .all(|other| other.status == foreign.status && other.decided_by == foreign.decided_by);
    (read, same)
}
