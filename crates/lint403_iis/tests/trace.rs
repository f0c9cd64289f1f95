//! The IIS tracer against Microsoft's documentation. IIS cannot run here,
//! so every case states the status (and substatus) the cited page gives,
//! with the page's address next to it. None of these ran against a real IIS.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use lint403_core::fsview::FsView;
use lint403_core::read::read_source;
use lint403_core::{CheckOptions, Outcome, Request, SourceMap, TraceOptions, Verdict};

// Microsoft's pages, by the key used in the cases below.
// IPS:   https://learn.microsoft.com/iis/configuration/system.webserver/security/ipsecurity/
// IPSA:  https://learn.microsoft.com/iis/configuration/system.webserver/security/ipsecurity/add
// ST:    https://learn.microsoft.com/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code
// UA:    https://learn.microsoft.com/iis/manage/configuring-security/understanding-iis-url-authorization
// AZA:   https://learn.microsoft.com/iis/configuration/system.webserver/security/authorization/add
// RF:    https://learn.microsoft.com/iis/configuration/system.webserver/security/requestfiltering/
// RFHS:  https://learn.microsoft.com/iis/configuration/system.webserver/security/requestfiltering/hiddensegments/
// RFRW:  https://learn.microsoft.com/iis/extensions/url-rewrite-module/iis-request-filtering-and-url-rewriting
// RW:    https://learn.microsoft.com/iis/extensions/url-rewrite-module/url-rewrite-module-configuration-reference
// ACC:   https://learn.microsoft.com/iis/configuration/system.webserver/security/access
// DB:    https://learn.microsoft.com/iis/configuration/system.webserver/directorybrowse
// DD:    https://learn.microsoft.com/iis/configuration/system.webserver/defaultdocument/
// KB14:  https://learn.microsoft.com/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-403-14-forbidden-webpage
// H:     https://learn.microsoft.com/iis/configuration/system.webserver/handlers/
// ANON:  https://learn.microsoft.com/iis/configuration/system.webserver/security/authentication/anonymousauthentication
// NAZ:   https://learn.microsoft.com/previous-versions/dotnet/netframework-4.0/8d82143t(v=vs.100)

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A site root in a temporary directory: `web.config` plus other files
/// (a path ending in `/` is a directory).
struct TempSite {
    root: PathBuf,
}

impl TempSite {
    fn new(web_config: &str, files: &[(&str, &str)]) -> TempSite {
        let root = std::env::temp_dir().join(format!(
            "lint403-iis-trace-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("temp dir");
        std::fs::write(root.join("web.config"), web_config).expect("write web.config");
        for (path, content) in files {
            let target = root.join(path.trim_end_matches('/'));
            if path.ends_with('/') {
                std::fs::create_dir_all(&target).expect("dir");
            } else {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).expect("parent");
                }
                std::fs::write(&target, content).expect("file");
            }
        }
        TempSite { root }
    }

    fn trace(&self, request: &Request) -> Verdict {
        trace_file(&self.root.join("web.config"), request, true)
    }

    /// Without a view of the files (the configuration alone).
    fn trace_blind(&self, request: &Request) -> Verdict {
        trace_file(&self.root.join("web.config"), request, false)
    }
}

impl Drop for TempSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn trace_file(path: &Path, request: &Request, view: bool) -> Verdict {
    let mut sources = SourceMap::new();
    let file = sources.add(read_source(path).expect("read"));
    let loaded = lint403_iis::load(&mut sources, file, &CheckOptions::default());
    let options = TraceOptions {
        fs: FsView {
            path_map: Vec::new(),
            read_unmapped: view,
        },
        distribution_defaults: false,
        verdict_only: false,
    };
    let model = lint403_iis::lower(&loaded, &mut sources, &options);
    lint403_iis::trace(&model, request, &options)
}

fn get(path: &str) -> Request {
    Request::new("GET", path)
}

fn method(method: &str, path: &str) -> Request {
    Request::new(method, path)
}

fn from(mut request: Request, ip: &str) -> Request {
    request.client_ip = ip.parse::<IpAddr>().expect("ip");
    request
}

fn header(mut request: Request, name: &str, value: &str) -> Request {
    request.add_header(name, value);
    request
}

fn user(mut request: Request, name: &str) -> Request {
    request.user = Some(name.to_string());
    request
}

fn https(mut request: Request) -> Request {
    request.listen = Some("127.0.0.1:443".parse().expect("addr"));
    request
}

/// Asserts status and substatus, printing the steps when they differ.
#[track_caller]
fn expect(verdict: &Verdict, status: u16, substatus: Option<u16>) {
    assert_eq!(
        (verdict.status, verdict.substatus),
        (Some(status), substatus),
        "verdict {:?} ({:?}); steps: {:#?}",
        verdict.outcome,
        verdict.unknown,
        verdict.steps
    );
}

#[track_caller]
fn expect_unknown(verdict: &Verdict) {
    assert_eq!(
        verdict.outcome,
        Outcome::Unknown,
        "expected unknown, got {:?} {:?}",
        verdict.status,
        verdict.substatus
    );
}

fn config(body: &str) -> String {
    format!("<?xml version=\"1.0\"?>\n<configuration>\n{body}\n</configuration>\n")
}

const STATIC_FILES: &[(&str, &str)] = &[
    ("index.html", "home"),
    ("a.png", "png"),
    ("admin/index.html", "admin"),
    ("admin/report.pdf", "pdf"),
    ("images/logo.png", "logo"),
    ("empty/", ""),
];

// ---- ipSecurity --------------------------------------------------------

#[test]
fn ip_security_first_match_top_down_and_allow_unlisted() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security>
  <ipSecurity allowUnlisted="true">
    <add ipAddress="192.168.100.1" />
    <add ipAddress="169.254.0.0" subnetMask="255.255.0.0" />
    <add ipAddress="10.0.0.5" allowed="true" />
    <add ipAddress="10.0.0.0" subnetMask="255.0.0.0" />
  </ipSecurity>
</security></system.webServer>"#,
        ),
        STATIC_FILES,
    );
    // IPSA: `allowed` defaults to false, so a bare <add> denies; IIS 8+
    // answers a denied address 403.503 (ST: "the IP address is included in
    // the Deny list of IP Restriction"), denyAction defaulting to Forbidden (IPS).
    expect(
        &site.trace(&from(get("/a.png"), "192.168.100.1")),
        403,
        Some(503),
    );
    // IPSA: subnetMask widens the entry to the 169.254.0.0/16 network.
    expect(
        &site.trace(&from(get("/a.png"), "169.254.7.9")),
        403,
        Some(503),
    );
    // IPS: "Rules are processed from top to bottom": the allow for
    // 10.0.0.5 comes before the deny of 10.0.0.0/8.
    expect(&site.trace(&from(get("/a.png"), "10.0.0.5")), 200, None);
    expect(
        &site.trace(&from(get("/a.png"), "10.0.0.6")),
        403,
        Some(503),
    );
    // IPS: allowUnlisted="true": an unlisted client is allowed.
    expect(&site.trace(&from(get("/a.png"), "203.0.113.9")), 200, None);
}

#[test]
fn ip_security_allow_unlisted_false_and_deny_actions() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security>
  <ipSecurity allowUnlisted="false" denyAction="NotFound">
    <add ipAddress="127.0.0.1" allowed="true" />
  </ipSecurity>
</security></system.webServer>
<location path="api"><system.webServer><security>
  <ipSecurity denyAction="Unauthorized" />
</security></system.webServer></location>
<location path="drop"><system.webServer><security>
  <ipSecurity denyAction="AbortRequest" />
</security></system.webServer></location>"#,
        ),
        &[("a.png", "x"), ("api/x.png", "x"), ("drop/x.png", "x")],
    );
    // IPS: "allowUnlisted is processed last"; false denies everyone not listed.
    expect(&site.trace(&get("/a.png")), 200, None);
    // IPS denyAction NotFound + ST 404.503.
    expect(
        &site.trace(&from(get("/a.png"), "198.51.100.1")),
        404,
        Some(503),
    );
    // IPS denyAction Unauthorized + ST 401.503 (inherited list, child's action).
    expect(
        &site.trace(&from(get("/api/x.png"), "198.51.100.1")),
        401,
        Some(503),
    );
    // IPS denyAction AbortRequest: the connection is dropped, no status.
    let aborted = site.trace(&from(get("/drop/x.png"), "198.51.100.1"));
    assert_eq!(aborted.status, None);
    assert_eq!(aborted.outcome, Outcome::Other);
    // IPS: the docs name only IPv4 addresses; ::1 is not 127.0.0.1.
    expect(&site.trace(&from(get("/a.png"), "::1")), 404, Some(503));
}

#[test]
fn ip_security_parent_entries_come_first_and_domain_names_are_unknown() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security>
  <ipSecurity><add ipAddress="203.0.113.0" subnetMask="255.255.255.0" /></ipSecurity>
</security></system.webServer>
<location path="partners"><system.webServer><security>
  <ipSecurity><add ipAddress="203.0.113.7" allowed="true" /></ipSecurity>
</security></system.webServer></location>
<location path="fresh"><system.webServer><security>
  <ipSecurity><clear /><add ipAddress="203.0.113.7" allowed="true" /></ipSecurity>
</security></system.webServer></location>
<location path="dns"><system.webServer><security>
  <ipSecurity enableReverseDns="true"><add domainName="*.example.com" /></ipSecurity>
</security></system.webServer></location>"#,
        ),
        &[
            ("partners/a.png", "x"),
            ("fresh/a.png", "x"),
            ("dns/a.png", "x"),
        ],
    );
    // IPS: the child's list is the parent's followed by its own (collections
    // inherit unless <clear>), read top down: the parent's deny wins.
    expect(
        &site.trace(&from(get("/partners/a.png"), "203.0.113.7")),
        403,
        Some(503),
    );
    // IPS: <clear> removes the inherited entries.
    expect(
        &site.trace(&from(get("/fresh/a.png"), "203.0.113.7")),
        200,
        None,
    );
    // IPSA domainName needs a reverse lookup of the client: not decidable.
    expect_unknown(&site.trace(&from(get("/dns/a.png"), "198.51.100.1")));
}

#[test]
fn ip_security_remove_by_key() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security><ipSecurity>
  <add ipAddress="198.51.100.0" subnetMask="255.255.255.0" />
</ipSecurity></security></system.webServer>
<location path="open"><system.webServer><security><ipSecurity>
  <remove ipAddress="198.51.100.0" subnetMask="255.255.255.0" />
</ipSecurity></security></system.webServer></location>"#,
        ),
        &[("open/a.png", "x"), ("a.png", "x")],
    );
    // IPS child element <remove>: removes one inherited restriction.
    expect(
        &site.trace(&from(get("/a.png"), "198.51.100.20")),
        403,
        Some(503),
    );
    expect(
        &site.trace(&from(get("/open/a.png"), "198.51.100.20")),
        200,
        None,
    );
}

#[test]
fn ip_security_clear_below_allow_unlisted_false() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security>
  <ipSecurity allowUnlisted="false"><add ipAddress="127.0.0.1" allowed="true" /></ipSecurity>
</security></system.webServer>
<location path="open"><system.webServer><security>
  <ipSecurity><clear /></ipSecurity>
</security></system.webServer></location>"#,
        ),
        &[("open/a.png", "x")],
    );
    // IPS: "If you were to set this attribute to false in a parent
    // configuration, you would not be able use the <clear> element to clear
    // this configuration in child configuration files" -- what IIS answers
    // then is not documented, so lint403 does not guess.
    expect_unknown(&site.trace(&from(get("/open/a.png"), "198.51.100.1")));
}

// ---- IIS URL Authorization -------------------------------------------

#[test]
fn url_authorization_deny_rules_first_and_parent_first() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security>
  <authentication><basicAuthentication enabled="true" /></authentication>
  <authorization>
    <add accessType="Deny" users="?" />
    <add accessType="Deny" users="fred" />
  </authorization>
</security></system.webServer>
<location path="secure"><system.webServer><security><authorization>
  <add accessType="Allow" users="fred" />
</authorization></security></system.webServer></location>
<location path="bobonly"><system.webServer><security><authorization>
  <remove users="*" roles="" verbs="" />
  <add accessType="Allow" users="bob" />
  <add accessType="Deny" users="*" />
</authorization></security></system.webServer></location>"#,
        ),
        &[
            ("a.png", "x"),
            ("secure/a.png", "x"),
            ("bobonly/a.png", "x"),
        ],
    );
    // UA: "The IIS URL Authorization module evaluates deny rules first":
    // anonymous users are denied (401) even though the default allows *.
    expect(&site.trace(&get("/a.png")), 401, None);
    expect(&site.trace(&user(get("/a.png"), "alice")), 200, None);
    // UA: "if you deny access for Fred at a higher level, you can't allow
    // access to Fred on a lower level".
    expect(&site.trace(&user(get("/secure/a.png"), "fred")), 401, None);
    // UA differences table: deny rules before allow rules, so an allow for
    // bob followed by a deny of * still denies bob (ASP.NET would allow him).
    expect(&site.trace(&user(get("/bobonly/a.png"), "bob")), 401, None);
    expect(
        &site.trace(&user(get("/bobonly/a.png"), "alice")),
        401,
        None,
    );
}

#[test]
fn url_authorization_clear_verbs_and_no_allow() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security>
  <authentication><windowsAuthentication enabled="true" /></authentication>
  <authorization>
    <remove users="*" roles="" verbs="" />
    <add accessType="Allow" users="*" verbs="GET,HEAD" />
    <add accessType="Allow" users="kim" verbs="POST" />
  </authorization>
</security></system.webServer>
<location path="closed"><system.webServer><security><authorization>
  <clear />
</authorization></security></system.webServer></location>
<location path="admins"><system.webServer><security><authorization>
  <clear />
  <add accessType="Allow" roles="Administrators" />
</authorization></security></system.webServer></location>"#,
        ),
        &[("a.png", "x"), ("closed/a.png", "x"), ("admins/a.png", "x")],
    );
    // AZA verbs: the rule applies to the listed verbs only.
    expect(&site.trace(&get("/a.png")), 200, None);
    expect(&site.trace(&method("POST", "/a.png")), 401, None);
    expect(
        &site.trace(&user(method("POST", "/a.png"), "kim")),
        200,
        None,
    );
    // AZA: with the default allow removed (<clear/>) and no allow rule, no
    // one is allowed (401).
    expect(&site.trace(&user(get("/closed/a.png"), "kim")), 401, None);
    // AZA roles: an anonymous client is in no role...
    expect(&site.trace(&get("/admins/a.png")), 401, None);
    // ...and role membership of a user is not known to lint403.
    expect_unknown(&site.trace(&user(get("/admins/a.png"), "kim")));
}

// ---- ASP.NET authorization versus IIS authorization ---------------------

#[test]
fn aspnet_authorization_first_match_most_local_first() {
    let site = TempSite::new(
        &config(
            r#"<system.web>
  <authentication mode="Windows" />
  <authorization>
    <allow users="bob" />
    <deny users="*" />
  </authorization>
</system.web>
<system.webServer><security><authentication>
  <windowsAuthentication enabled="true" />
</authentication></security></system.webServer>
<location path="members"><system.web><authorization>
  <deny users="bob" />
  <allow users="*" />
</authorization></system.web></location>"#,
        ),
        &[
            ("page.aspx", "x"),
            ("a.png", "x"),
            ("members/page.aspx", "x"),
        ],
    );
    // NAZ: first matching rule wins: bob is allowed before "deny *".
    expect(&site.trace(&user(get("/page.aspx"), "bob")), 200, None);
    expect(&site.trace(&user(get("/page.aspx"), "alice")), 401, None);
    // UA: ASP.NET URL Authorization applies only to managed content
    // (managedHandler precondition): a static file is not checked.
    expect(&site.trace(&user(get("/a.png"), "alice")), 200, None);
    // UA table: "Lower level first going up to the parent": the members
    // folder's deny for bob is read before the site's allow.
    expect(
        &site.trace(&user(get("/members/page.aspx"), "bob")),
        401,
        None,
    );
    expect(
        &site.trace(&user(get("/members/page.aspx"), "alice")),
        200,
        None,
    );
}

#[test]
fn aspnet_authorization_with_all_managed_modules_and_forms() {
    let site = TempSite::new(
        &config(
            r#"<system.web>
  <authentication mode="Forms"><forms loginUrl="~/login.aspx" /></authentication>
  <authorization><deny users="?" /></authorization>
</system.web>
<system.webServer><modules runAllManagedModulesForAllRequests="true" /></system.webServer>"#,
        ),
        &[("page.aspx", "x"), ("a.png", "x")],
    );
    // UA: with the managedHandler precondition lifted
    // (runAllManagedModulesForAllRequests) static files are checked too;
    // NAZ: denied anonymous users of Forms authentication go to the login page.
    expect(&site.trace(&get("/a.png")), 302, None);
    expect(&site.trace(&get("/page.aspx")), 302, None);
    expect(&site.trace(&user(get("/a.png"), "bob")), 200, None);
}

// ---- Location paths and folder web.config files -------------------------

#[test]
fn folder_web_config_inherits_parent_first() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security><ipSecurity>
  <add ipAddress="192.0.2.1" />
</ipSecurity></security></system.webServer>"#,
        ),
        &[
            ("docs/a.pdf", "x"),
            (
                "docs/web.config",
                r#"<configuration><system.webServer><security>
  <ipSecurity allowUnlisted="false"><add ipAddress="192.0.2.1" allowed="true" /><add ipAddress="192.0.2.2" allowed="true" /></ipSecurity>
</security></system.webServer></configuration>"#,
            ),
            ("docs/inner/b.pdf", "x"),
            ("a.pdf", "x"),
        ],
    );
    // IPS: the folder's list follows the parent's: 192.0.2.1's parent deny
    // comes first, the folder's allow never applies.
    expect(
        &site.trace(&from(get("/docs/a.pdf"), "192.0.2.1")),
        403,
        Some(503),
    );
    expect(
        &site.trace(&from(get("/docs/a.pdf"), "192.0.2.2")),
        200,
        None,
    );
    // IPS: the folder's allowUnlisted="false" applies below it only...
    expect(
        &site.trace(&from(get("/docs/inner/b.pdf"), "192.0.2.3")),
        403,
        Some(503),
    );
    expect(&site.trace(&from(get("/a.pdf"), "192.0.2.3")), 200, None);
    // ...matched on whole segments, ignoring case (the site runs on a
    // case-insensitive file system).
    expect(
        &site.trace(&from(get("/DOCS/a.pdf"), "192.0.2.3")),
        403,
        Some(503),
    );
}

#[test]
fn location_paths_are_segment_prefixes() {
    let site = TempSite::new(
        &config(
            r#"<location path="admin"><system.webServer><security>
  <ipSecurity allowUnlisted="false"><add ipAddress="127.0.0.1" allowed="true" /></ipSecurity>
</security></system.webServer></location>"#,
        ),
        &[
            ("admin/index.html", "x"),
            ("administrator.html", "x"),
            ("admin2/a.png", "x"),
        ],
    );
    // IPS applied through <location path="admin">: /admin and below only.
    expect(
        &site.trace(&from(get("/admin/index.html"), "198.51.100.1")),
        403,
        Some(503),
    );
    expect(
        &site.trace(&from(get("/Admin/index.html"), "198.51.100.1")),
        403,
        Some(503),
    );
    expect(&site.trace(&get("/admin/index.html")), 200, None);
    expect(
        &site.trace(&from(get("/administrator.html"), "198.51.100.1")),
        200,
        None,
    );
    expect(
        &site.trace(&from(get("/admin2/a.png"), "198.51.100.1")),
        200,
        None,
    );
}

// ---- Request filtering ---------------------------------------------------

#[test]
fn request_filtering_hidden_segments_extensions_sequences_verbs() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security><requestFiltering>
  <hiddenSegments><add segment="_private" /></hiddenSegments>
  <fileExtensions><add fileExtension=".inc" allowed="false" /></fileExtensions>
  <denyUrlSequences><add sequence="~" /></denyUrlSequences>
  <verbs><add verb="TRACE" allowed="false" /></verbs>
</requestFiltering></security></system.webServer>"#,
        ),
        &[
            ("_private/a.txt", "x"),
            ("App_Data/db.mdf", "x"),
            ("lib/x.inc", "x"),
            ("a.png", "x"),
            ("well/known.txt", "x"),
        ],
    );
    // RF: hidden namespace 404.8 (RFHS: "URLs that cannot be browsed").
    expect(&site.trace(&get("/_private/a.txt")), 404, Some(8));
    expect(&site.trace(&get("/_Private/a.txt")), 404, Some(8));
    // RF: the default hidden segments (App_Data) and denied extensions
    // (.mdf) of applicationHost.config.
    expect(&site.trace(&get("/App_Data/db.mdf")), 404, Some(7));
    // RF: file extension denied 404.7.
    expect(&site.trace(&get("/lib/x.inc")), 404, Some(7));
    // RF: URL sequence denied 404.5.
    expect(&site.trace(&get("/~user/a.png")), 404, Some(5));
    // RF: verb denied 404.6.
    expect(&site.trace(&method("TRACE", "/a.png")), 404, Some(6));
    // RF: web.config is a default hidden segment... and .config a denied
    // extension, which is checked first here (404.7).
    expect(&site.trace(&get("/web.config")), 404, Some(7));
    expect(&site.trace(&get("/well/known.txt")), 200, None);
    // RF allowDoubleEscaping (default false): a '+' in the path is 404.11.
    expect(&site.trace(&get("/a+b.png")), 404, Some(11));
}

#[test]
fn request_filtering_unlisted_and_removed_and_webdav() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security><requestFiltering>
  <fileExtensions allowUnlisted="false">
    <add fileExtension=".html" allowed="true" />
    <add fileExtension=".png" allowed="true" />
  </fileExtensions>
  <verbs allowUnlisted="false" applyToWebDAV="false">
    <add verb="GET" allowed="true" />
  </verbs>
  <hiddenSegments><remove segment="bin" /></hiddenSegments>
</requestFiltering></security></system.webServer>"#,
        ),
        &[
            ("a.png", "x"),
            ("a.gif", "x"),
            ("bin/tool.png", "x"),
            ("index.html", "x"),
        ],
    );
    // RF fileExtensions allowUnlisted="false": only listed extensions pass.
    expect(&site.trace(&get("/a.png")), 200, None);
    expect(&site.trace(&get("/a.gif")), 404, Some(7));
    // RF verbs allowUnlisted="false".
    expect(&site.trace(&method("POST", "/a.png")), 404, Some(6));
    // RFHS <remove>: the default hidden segment "bin" is served again.
    expect(&site.trace(&get("/bin/tool.png")), 200, None);
    // RFHS applyToWebDAV="false": the verbs list does not apply to a WebDAV
    // PROPFIND (the request goes on to the handler).
    let verdict = site.trace(&method("PROPFIND", "/a.png"));
    assert_ne!(verdict.substatus, Some(6), "{verdict:?}");
}

#[test]
fn request_filtering_runs_before_url_rewrite() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer>
  <security><requestFiltering><hiddenSegments><add segment="secret" /></hiddenSegments></requestFiltering></security>
  <rewrite><rules>
    <rule name="all 403"><match url=".*" /><action type="CustomResponse" statusCode="403" subStatusCode="0" /></rule>
  </rules></rewrite>
</system.webServer>"#,
        ),
        &[("secret/a.png", "x"), ("a.png", "x")],
    );
    // RFRW: "request filtering module is placed before the URL rewrite
    // module": the hidden segment answers 404.8 first.
    expect(&site.trace(&get("/secret/a.png")), 404, Some(8));
    // RW CustomResponse: status and subStatusCode as configured.
    expect(&site.trace(&get("/a.png")), 403, Some(0));
}

// ---- URL Rewrite -----------------------------------------------------------

#[test]
fn rewrite_hotlink_rule_with_referer_conditions() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><rewrite><rules>
  <rule name="hotlink" stopProcessing="true">
    <match url=".*\.(png|jpg)$" />
    <conditions logicalGrouping="MatchAll">
      <add input="{HTTP_REFERER}" pattern="^$" negate="true" />
      <add input="{HTTP_REFERER}" pattern="^https?://(www\.)?example\.com/" negate="true" />
    </conditions>
    <action type="CustomResponse" statusCode="403" subStatusCode="1" statusReason="Forbidden" />
  </rule>
</rules></rewrite></system.webServer>"#,
        ),
        &[("images/logo.png", "x"), ("index.html", "x")],
    );
    let png = || get("/images/logo.png");
    // RW: conditions with MatchAll: every condition must hold. A missing
    // Referer is empty, so the `^$` exception lets it through.
    expect(&site.trace(&png()), 200, None);
    expect(
        &site.trace(&header(png(), "Referer", "https://example.com/page")),
        200,
        None,
    );
    expect(
        &site.trace(&header(png(), "Referer", "http://www.example.com/")),
        200,
        None,
    );
    // RW CustomResponse 403.1 for another site's Referer.
    expect(
        &site.trace(&header(png(), "Referer", "https://other.example/")),
        403,
        Some(1),
    );
    // RW: patterns are case-insensitive by default (ignoreCase).
    expect(
        &site.trace(&header(
            get("/images/LOGO.PNG"),
            "Referer",
            "https://other.example/",
        )),
        403,
        Some(1),
    );
    // RW: a lookalike host is not example.com.
    expect(
        &site.trace(&header(png(), "Referer", "https://example.com.evil/")),
        403,
        Some(1),
    );
    // The match pattern decides first: HTML pages are not images.
    expect(
        &site.trace(&header(
            get("/index.html"),
            "Referer",
            "https://other.example/",
        )),
        200,
        None,
    );
}

#[test]
fn rewrite_leading_slash_pattern_never_matches_in_web_config() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><rewrite><rules>
  <rule name="block admin (never matches)"><match url="^/admin" /><action type="CustomResponse" statusCode="403" /></rule>
  <rule name="block secret"><match url="^secret/" /><action type="AbortRequest" /></rule>
</rules></rewrite></system.webServer>"#,
        ),
        &[("admin/index.html", "x"), ("secret/a.png", "x")],
    );
    // RW: "The rule pattern gets the URL string content/default.aspx as an
    // input" -- no leading slash, so ^/admin never matches.
    expect(&site.trace(&get("/admin/index.html")), 200, None);
    // RW AbortRequest: the connection is dropped.
    let aborted = site.trace(&get("/secret/a.png"));
    assert_eq!((aborted.status, aborted.outcome), (None, Outcome::Other));
}

#[test]
fn rewrite_rules_of_a_folder_see_relative_paths_and_stop_processing() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><rewrite><rules>
  <rule name="allow robots" stopProcessing="true"><match url="^robots\.txt$" /><action type="None" /></rule>
  <rule name="no txt"><match url="\.txt$" /><action type="CustomResponse" statusCode="403" subStatusCode="7" /></rule>
</rules></rewrite></system.webServer>"#,
        ),
        &[
            ("robots.txt", "x"),
            ("notes.txt", "x"),
            ("content/default.aspx", "x"),
            ("content/old.html", "x"),
            ("content/new.html", "x"),
            (
                "content/web.config",
                r#"<configuration><system.webServer><rewrite><rules>
  <rule name="only default"><match url="^default\.aspx$" negate="true" /><conditions><add input="{REQUEST_FILENAME}" matchType="IsFile" negate="true" /></conditions><action type="CustomResponse" statusCode="403" subStatusCode="2" /></rule>
  <rule name="old to new"><match url="^old\.html$" /><action type="Rewrite" url="new.html" /></rule>
  <rule name="block only"><match url="^only\.png$" /><action type="CustomResponse" statusCode="403" subStatusCode="3" /></rule>
</rules></rewrite></system.webServer></configuration>"#,
            ),
            ("content/only.png", "x"),
            ("only.png", "x"),
        ],
    );
    // RW: a None action with stopProcessing ends rule processing: robots.txt
    // passes the later deny.
    expect(&site.trace(&get("/robots.txt")), 200, None);
    expect(&site.trace(&get("/notes.txt")), 403, Some(7));
    // RW: "if ... a rewrite rule is defined in the /content directory, then
    // the rule gets this URL string default.aspx": ^default\.aspx$ matches.
    expect(&site.trace(&get("/content/default.aspx")), 200, None);
    expect(&site.trace(&get("/content/only.png")), 403, Some(3));
    // The same name at the root is outside the folder's rules.
    expect(&site.trace(&get("/only.png")), 200, None);
    // RW IsFile condition (negated): a missing file in /content gets 403.2.
    expect(&site.trace(&get("/content/missing.png")), 403, Some(2));
    // RW Rewrite action: the URL is replaced and served.
    expect(&site.trace(&get("/content/old.html")), 200, None);
    // RW rules inheritance: the parent's "no txt" runs for /content too.
    expect(&site.trace(&get("/content/x.txt")), 403, Some(7));
}

#[test]
fn rewrite_match_any_hosts_https_and_redirect() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><rewrite><rules>
  <rule name="force https" stopProcessing="true">
    <match url="(.*)" />
    <conditions><add input="{HTTPS}" pattern="^OFF$" /></conditions>
    <action type="Redirect" url="https://{HTTP_HOST}/{R:1}" redirectType="Found" />
  </rule>
  <rule name="bad clients">
    <match url=".*" />
    <conditions logicalGrouping="MatchAny">
      <add input="{REMOTE_ADDR}" pattern="^192\.0\.2\." />
      <add input="{HTTP_HOST}" pattern="^old\.example\.com$" />
    </conditions>
    <action type="CustomResponse" statusCode="403" subStatusCode="9" />
  </rule>
</rules></rewrite></system.webServer>"#,
        ),
        &[("a.png", "x")],
    );
    // RW: HTTPS is OFF over http; the Redirect action answers 302 (Found).
    expect(&site.trace(&get("/a.png")), 302, None);
    // Over https the redirect rule does not match.
    expect(&site.trace(&https(get("/a.png"))), 200, None);
    // RW MatchAny: one condition is enough.
    expect(
        &site.trace(&https(from(get("/a.png"), "192.0.2.5"))),
        403,
        Some(9),
    );
    expect(
        &site.trace(&https(header(get("/a.png"), "Host", "old.example.com"))),
        403,
        Some(9),
    );
    expect(
        &site.trace(&https(header(get("/a.png"), "Host", "new.example.com"))),
        200,
        None,
    );
}

// ---- SSL ----------------------------------------------------------------------

#[test]
fn ssl_flags_require_https_and_certificates() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security><access sslFlags="Ssl" /></security></system.webServer>
<location path="certs"><system.webServer><security><access sslFlags="Ssl, SslRequireCert" /></security></system.webServer></location>
<location path="strong"><system.webServer><security><access sslFlags="Ssl128" /></security></system.webServer></location>"#,
        ),
        &[("a.png", "x"), ("certs/a.png", "x"), ("strong/a.png", "x")],
    );
    // ACC + ST: Ssl over http is 403.4 "SSL required".
    expect(&site.trace(&get("/a.png")), 403, Some(4));
    expect(&site.trace(&https(get("/a.png"))), 200, None);
    // ST: 403.7 "Client certificate required" (the traced request has none).
    expect(&site.trace(&https(get("/certs/a.png"))), 403, Some(7));
    // ST: 403.5 "SSL 128 required".
    expect(&site.trace(&get("/strong/a.png")), 403, Some(5));
}

// ---- Authentication --------------------------------------------------------

#[test]
fn anonymous_authentication_off() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer><security><authentication>
  <anonymousAuthentication enabled="false" />
</authentication></security></system.webServer>
<location path="basic"><system.webServer><security><authentication>
  <basicAuthentication enabled="true" />
</authentication></security></system.webServer></location>"#,
        ),
        &[("a.png", "x"), ("basic/a.png", "x")],
    );
    // ANON off and no other method: ST 401.2 "Logon failed due to server
    // configuration".
    expect(&site.trace(&get("/a.png")), 401, Some(2));
    expect(&site.trace(&user(get("/a.png"), "bob")), 401, Some(2));
    // With Basic on, credentials authenticate; without them 401.2.
    expect(&site.trace(&get("/basic/a.png")), 401, Some(2));
    expect(&site.trace(&user(get("/basic/a.png"), "bob")), 200, None);
}

// ---- Directory browsing, default documents, handlers ---------------------

#[test]
fn directories_default_documents_and_browsing() {
    let site = TempSite::new(
        &config(
            r#"<system.webServer>
  <defaultDocument><files><clear /><add value="home.html" /></files></defaultDocument>
</system.webServer>
<location path="listing"><system.webServer><directoryBrowse enabled="true" /></system.webServer></location>
<location path="nodocs"><system.webServer><defaultDocument enabled="false" /></system.webServer></location>"#,
        ),
        &[
            ("home.html", "x"),
            ("index.html", "x"),
            ("sub/index.html", "x"),
            ("listing/", ""),
            ("nodocs/home.html", "x"),
        ],
    );
    // DD: the first default document found is served.
    expect(&site.trace(&get("/")), 200, None);
    // KB14: no default document (the list was cleared to home.html) and
    // directory browsing off (DB default false): 403.14.
    expect(&site.trace(&get("/sub/")), 403, Some(14));
    // DB enabled: the listing is served.
    expect(&site.trace(&get("/listing/")), 200, None);
    // KB14: defaultDocument disabled.
    expect(&site.trace(&get("/nodocs/")), 403, Some(14));
    // A directory without its trailing slash is redirected first.
    expect(&site.trace(&get("/sub")), 301, None);
    // ST 404.0: the file does not exist.
    expect(&site.trace(&get("/missing.png")), 404, Some(0));
    // Without a view of the files, whether a default document exists is
    // not known.
    expect_unknown(&site.trace_blind(&get("/sub/")));
}

#[test]
fn handler_access_policy() {
    let site = TempSite::new(
        &config(
            r#"<location path="noread"><system.webServer><handlers accessPolicy="Script" /></system.webServer></location>
<location path="cgi"><system.webServer><handlers accessPolicy="Read, Script" /></system.webServer></location>"#,
        ),
        &[
            ("noread/a.png", "x"),
            ("cgi/tool.exe", "x"),
            ("page.aspx", "x"),
        ],
    );
    // H + ST: the StaticFile handler needs Read: 403.2 "Read access forbidden".
    expect(&site.trace(&get("/noread/a.png")), 403, Some(2));
    // H + ST: an executable needs Execute: 403.1 "Execute access forbidden".
    expect(&site.trace(&get("/cgi/tool.exe")), 403, Some(1));
    // ASP.NET page with the default policy "Read, Script".
    expect(&site.trace(&get("/page.aspx")), 200, None);
}

// ---- Sites with bindings (applicationHost) --------------------------------

#[test]
fn application_host_sites_by_binding() {
    let dir = std::env::temp_dir().join(format!(
        "lint403-iis-apphost-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).expect("dir");
    std::fs::create_dir_all(dir.join("b")).expect("dir");
    std::fs::write(dir.join("a/x.png"), "x").expect("file");
    std::fs::write(dir.join("b/x.png"), "x").expect("file");
    let text = format!(
        r#"<configuration>
<system.applicationHost><sites>
  <site name="A" id="1"><application path="/"><virtualDirectory path="/" physicalPath="{a}" /></application>
    <bindings><binding protocol="http" bindingInformation="*:80:a.example" /></bindings></site>
  <site name="B" id="2"><application path="/"><virtualDirectory path="/" physicalPath="{b}" /></application>
    <bindings><binding protocol="http" bindingInformation="*:80:b.example" /></bindings></site>
</sites></system.applicationHost>
<system.webServer><security><authorization><add accessType="Allow" users="*" /></authorization></security></system.webServer>
<location path="B"><system.webServer><security><ipSecurity allowUnlisted="false" /></security></system.webServer></location>
</configuration>"#,
        a = dir.join("a").display(),
        b = dir.join("b").display()
    );
    let path = dir.join("applicationHost.config");
    std::fs::write(&path, text).expect("write");
    // IPS on site B only (<location path="B">); the site is the binding
    // whose host name matches the Host header.
    let on = |host: &str| header(get("/x.png"), "Host", host);
    expect(&trace_file(&path, &on("a.example"), true), 200, None);
    expect(&trace_file(&path, &on("b.example"), true), 403, Some(503));
    // No binding takes the host name: http.sys refuses it before IIS
    // reads any configuration; lint403 does not claim a status.
    expect_unknown(&trace_file(&path, &on("c.example"), true));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- Configuration errors ------------------------------------------------

#[test]
fn configuration_errors_answer_500_19_below_their_level() {
    let site = TempSite::new(
        &config(
            r#"<location path="broken"><system.webServer><security><authorization>
  <allow users="*" />
</authorization></security></system.webServer></location>"#,
        ),
        &[
            ("a.png", "x"),
            ("broken/a.png", "x"),
            ("bad/a.png", "x"),
            (
                "bad/web.config",
                "<configuration><system.webServer></configuration>",
            ),
        ],
    );
    // ST 500.19 "Configuration data is invalid": an element the section
    // does not know (<allow> is ASP.NET syntax; AZA lists add/remove/clear)...
    expect(&site.trace(&get("/broken/a.png")), 500, Some(19));
    // ...and a folder web.config that is not well-formed XML, for the URLs
    // below that level only.
    expect(&site.trace(&get("/bad/a.png")), 500, Some(19));
    expect(&site.trace(&get("/a.png")), 200, None);
}

// ---- Fixture cases (fixtures/trace/iis/*.case) ------------------------------

/// One `.case` file: `web.config:` followed by the file, `file PATH:`
/// followed by another file, `files:` with `path = content` lines (a path
/// ending in `/` is a directory), and `requests:` with
/// `METHOD /path [from IP] [host H] [referer URL] [user NAME] [over https] => STATUS[.SUB] | unknown | abort`.
struct Case {
    web_config: String,
    files: Vec<(String, String)>,
    requests: Vec<(String, String)>,
}

fn parse_case(text: &str) -> Case {
    let mut case = Case {
        web_config: String::new(),
        files: Vec::new(),
        requests: Vec::new(),
    };
    let mut section = String::new();
    let mut current_file: Option<(String, String)> = None;
    for line in text.lines() {
        let header = line.trim_end();
        let is_header = header == "web.config:"
            || header == "files:"
            || header == "requests:"
            || (header.starts_with("file ") && header.ends_with(':'));
        if is_header {
            if let Some(file) = current_file.take() {
                case.files.push(file);
            }
            section = header.to_string();
            if let Some(path) = header.strip_prefix("file ") {
                current_file = Some((path.trim_end_matches(':').trim().to_string(), String::new()));
            }
            continue;
        }
        match section.as_str() {
            "web.config:" => {
                case.web_config.push_str(line);
                case.web_config.push('\n');
            }
            "files:" => {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (path, content) = line.split_once(" = ").unwrap_or((line, ""));
                case.files
                    .push((path.trim().to_string(), content.to_string()));
            }
            "requests:" => {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (request, expected) = line.split_once("=>").expect("=> in a request line");
                case.requests
                    .push((request.trim().to_string(), expected.trim().to_string()));
            }
            _ if section.starts_with("file ") => {
                if let Some((_, content)) = current_file.as_mut() {
                    content.push_str(line);
                    content.push('\n');
                }
            }
            _ => {}
        }
    }
    if let Some(file) = current_file.take() {
        case.files.push(file);
    }
    case
}

#[test]
fn fixture_cases() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/trace/iis");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&directory)
        .expect("fixtures/trace/iis")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "case"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "fixture cases: {names:?}");
    let mut failures = Vec::new();
    let mut count = 0;
    for path in &names {
        let case = parse_case(&std::fs::read_to_string(path).expect("read case"));
        let files: Vec<(&str, &str)> = case
            .files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let site = TempSite::new(&case.web_config, &files);
        for (line, expected) in &case.requests {
            count += 1;
            let (line, over_https) = match line.strip_suffix("over https") {
                Some(rest) => (rest.trim(), true),
                None => (line.as_str(), false),
            };
            let mut request = Request::parse_expectation(line).expect("request line");
            if over_https {
                request = https(request);
            }
            let verdict = site.trace(&request);
            let got = match (verdict.outcome, verdict.status, verdict.substatus) {
                (Outcome::Unknown, _, _) => "unknown".to_string(),
                (Outcome::Other, None, _) => "abort".to_string(),
                (_, Some(status), Some(sub)) => format!("{status}.{sub}"),
                (_, Some(status), None) => status.to_string(),
                (_, None, _) => "none".to_string(),
            };
            let matches = got == *expected
                || (!expected.contains('.') && got.split('.').next() == Some(expected.as_str()));
            if !matches {
                failures.push(format!(
                    "{}: {line} => expected {expected}, got {got} ({:?})",
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    verdict
                        .steps
                        .iter()
                        .map(|s| s.text.clone())
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} fixture requests differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 30, "only {count} fixture requests");
}

// ---- Real configurations (the shared corpus) -------------------------------

fn corpus_files() -> Vec<PathBuf> {
    let root = std::env::var_os("LINT403_CORPUS")
        .map_or_else(|| PathBuf::from("/work/shared/corpus"), PathBuf::from)
        .join("iis");
    let mut files = Vec::new();
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every corpus web.config traced with the probe paths: no panic, and
/// every verdict is one of the shapes DESIGN §5 allows.
#[test]
fn corpus_configs_trace_without_panics() {
    let files = corpus_files();
    if files.is_empty() {
        println!("SKIPPED: the IIS corpus is not present");
        return;
    }
    let probes = [
        "GET /",
        "GET /index.html",
        "GET /robots.txt",
        "GET /favicon.ico",
        "GET /.well-known/acme-challenge/t",
        "GET /.git/config",
        "GET /.env",
        "GET /web.config",
        "GET /tag",
        "GET /admin/",
        "POST /login",
        "GET /images/a.png referer https://other.example/",
        "TRACE /",
        "GET /a+b",
    ];
    let mut traced = 0;
    for path in &files {
        let Ok(text) = std::fs::read(path) else {
            continue;
        };
        let site = TempSite::new("", &[]);
        std::fs::write(site.root.join("web.config"), text).expect("write");
        for probe in probes {
            let request = Request::parse_expectation(probe).expect("probe");
            for verdict in [site.trace(&request), site.trace_blind(&request)] {
                traced += 1;
                match verdict.outcome {
                    Outcome::Unknown => assert!(verdict.unknown.is_some(), "{path:?} {probe}"),
                    Outcome::Other if verdict.status.is_none() => {}
                    outcome => {
                        let status = verdict.status.expect("a status");
                        assert_eq!(outcome, Outcome::of_status(status), "{path:?} {probe}");
                    }
                }
            }
        }
    }
    assert!(traced > 0);
}

/// Drupal's web.config: its "protect files" rule answers 403.0 for source
/// files and, ignoring case (RW: case-insensitive by default), for /tag.
#[test]
fn corpus_drupal_protect_files() {
    let Some(drupal) = corpus_files()
        .into_iter()
        .find(|path| path.ends_with("drupal__drupal/web.config"))
    else {
        println!("SKIPPED: the IIS corpus is not present");
        return;
    };
    let site = TempSite::new("", &[("index.php", "<?php"), ("sites/all/a.png", "x")]);
    std::fs::copy(&drupal, site.root.join("web.config")).expect("copy");
    // RW: CustomResponse statusCode="403" subStatusCode="0".
    expect(&site.trace(&get("/modules/node/node.module")), 403, Some(0));
    expect(&site.trace(&get("/tag")), 403, Some(0));
    expect(&site.trace(&get("/Template")), 403, Some(0));
    // RW: "favicon\.ico" rule: CustomResponse 404.1.
    expect(&site.trace(&get("/favicon.ico")), 404, Some(1));
    // An existing file passes the rules (the short-URL rule skips files).
    expect(&site.trace(&get("/sites/all/a.png")), 200, None);
}
