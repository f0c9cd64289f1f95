//! lint403's XML reader against roxmltree: on hand-picked cases, on the IIS
//! part of the corpus, and on thousands of mutants of accepted documents,
//! both accept or both reject, and accepted documents give the same tree
//! (see `support/oracle.rs` for the comparison and its documented
//! differences). Every accepted input also round-trips byte-exact.

#[path = "support/oracle.rs"]
mod oracle;

use oracle::{compare, Outcome};

fn round_trips(text: &str) {
    let output = lint403_iis::parse(text);
    if let Some(document) = output.well_formed() {
        assert_eq!(
            lint403_iis::print(document, text),
            text,
            "round trip of {text:?}"
        );
    }
}

fn outcome(text: &str) -> Outcome {
    round_trips(text);
    match compare(text) {
        Ok(outcome) => outcome,
        Err(difference) => panic!("{text:?}: {difference}"),
    }
}

/// Inputs that pin one rule each, with how the two parsers relate on it.
const CASES: &[(&str, Outcome)] = &[
    ("<a/>", Outcome::BothAcceptSameTree),
    (
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<a>x</a>",
        Outcome::BothAcceptSameTree,
    ),
    (
        "<?xml version='1.0' standalone='yes' ?><a/>",
        Outcome::BothAcceptSameTree,
    ),
    ("<a>&#65;\r</a>", Outcome::BothAcceptSameTree),
    ("<a>&#13;\n</a>", Outcome::BothAcceptSameTree),
    ("<a>x\r\ry\r\nz</a>", Outcome::BothAcceptSameTree),
    (
        "<a b=\"&#9;x\r\ny\tz&#10;\" c='\"' d=\"'\"/>",
        Outcome::BothAcceptSameTree,
    ),
    ("<a><![CDATA[]]></a>", Outcome::BothAcceptSameTree),
    (
        "<a>x<![CDATA[<y>\r\n]]>z<!--c-->w<?p  d ?></a>",
        Outcome::BothAcceptSameTree,
    ),
    ("<a b=\"a>b\"/>", Outcome::BothAcceptSameTree),
    ("<a b = \"x\" />", Outcome::BothAcceptSameTree),
    ("<a></a >", Outcome::BothAcceptSameTree),
    ("<a><!----></a>", Outcome::BothAcceptSameTree),
    ("<a><!-- - --></a>", Outcome::BothAcceptSameTree),
    ("<a/>\n<!--c-->\n<?pi x?>\n", Outcome::BothAcceptSameTree),
    (
        "<a>&#0065;&#x41;&lt;&gt;&amp;&quot;&apos;</a>",
        Outcome::BothAcceptSameTree,
    ),
    ("<a xml:lang=\"x\"/>", Outcome::BothAcceptSameTree),
    (
        "<a xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"/>",
        Outcome::BothAcceptSameTree,
    ),
    (
        "<c xmlns=\"urn:d\"><x xmlns=\"\"><y/></x><p:z xmlns:p=\"urn:p\" p:q=\"1\" q=\"2\"/></c>",
        Outcome::BothAcceptSameTree,
    ),
    ("<a xmlns=\"\"/>", Outcome::BothAcceptSameTree),
    ("<?xml\nversion=\"1.0\"?><a/>", Outcome::BothAcceptSameTree),
    ("<é·-a ñ=\"1\"/>", Outcome::BothAcceptSameTree),
    // Both reject.
    ("", Outcome::BothReject),
    ("  ", Outcome::BothReject),
    ("<a", Outcome::BothReject),
    ("<a><b", Outcome::BothReject),
    ("<a>]]></a>", Outcome::BothReject),
    ("<a b=\"x\"c=\"y\"/>", Outcome::BothReject),
    ("<a></a b>", Outcome::BothReject),
    ("<a></b>", Outcome::BothReject),
    ("<a/><b/>", Outcome::BothReject),
    ("<a/>&#65;", Outcome::BothReject),
    ("x<a/>", Outcome::BothReject),
    ("<!DOCTYPE a><a/>", Outcome::BothReject),
    ("<a/><!DOCTYPE a>", Outcome::BothReject),
    ("<a><!DOCTYPE a></a>", Outcome::BothReject),
    ("<a>&lt</a>", Outcome::BothReject),
    ("<a>&#X41;</a>", Outcome::BothReject),
    ("<a>&#0;</a>", Outcome::BothReject),
    ("<a>&#xFFFE;</a>", Outcome::BothReject),
    ("<a>&foo;</a>", Outcome::BothReject),
    ("<a b=\"&foo;\"/>", Outcome::BothReject),
    ("<a b=\"<\"/>", Outcome::BothReject),
    ("<a b=\"&\"/>", Outcome::BothReject),
    ("<a b=\"1\" b=\"2\"/>", Outcome::BothReject),
    (
        "<a xmlns:p=\"u\" xmlns:q=\"u\" p:x=\"1\" q:x=\"2\"/>",
        Outcome::BothReject,
    ),
    ("<a xmlns:p=\"u\" xmlns:p=\"u\"/>", Outcome::BothReject),
    ("<xmlns:a/>", Outcome::BothReject),
    ("<p:a/>", Outcome::BothReject),
    ("<a p:b=\"1\"/>", Outcome::BothReject),
    (
        "<a xmlns=\"http://www.w3.org/XML/1998/namespace\"/>",
        Outcome::BothReject,
    ),
    (
        "<a xmlns:p=\"http://www.w3.org/2000/xmlns/\"/>",
        Outcome::BothReject,
    ),
    ("<a xmlns:xml=\"urn:x\"/>", Outcome::BothReject),
    (
        "<a xmlns:p=\"http://www.w3.org/XML/1998/namespace\"/>",
        Outcome::BothReject,
    ),
    ("<a><!-- a -- b --></a>", Outcome::BothReject),
    ("<a><!-- a ---></a>", Outcome::BothReject),
    ("<a><!-- a </a>", Outcome::BothReject),
    ("<a><![CDATA[x</a>", Outcome::BothReject),
    ("<a><?p x</a>", Outcome::BothReject),
    ("<a><? p?></a>", Outcome::BothReject),
    ("<a><!foo></a>", Outcome::BothReject),
    ("<a>\u{1}</a>", Outcome::BothReject),
    ("<a b=\"\u{0}\"/>", Outcome::BothReject),
    ("<a>\u{FFFF}</a>", Outcome::BothReject),
    ("<a:b:c/>", Outcome::BothReject),
    ("<a:/>", Outcome::BothReject),
    ("<1a/>", Outcome::BothReject),
    (" <?xml version=\"1.0\"?><a/>", Outcome::BothReject),
    ("<a/><?xml version=\"1.0\"?>", Outcome::BothReject),
    (
        "<?xml version=\"1.0\"standalone=\"yes\"?><a/>",
        Outcome::BothReject,
    ),
    (
        "<?xml version=\"1.0\" standalone=\"yes\" encoding=\"x\"?><a/>",
        Outcome::BothReject,
    ),
    ("<?xml encoding=\"utf-8\"?><a/>", Outcome::BothReject),
    ("<?xml version=\"1.0\"<a/>", Outcome::BothReject),
    ("<a b></a>", Outcome::BothReject),
    ("<a b=c/>", Outcome::BothReject),
    ("<a/ >", Outcome::BothReject),
    ("< a/>", Outcome::BothReject),
    ("<a>< b/></a>", Outcome::BothReject),
    ("<a><</a>", Outcome::BothReject),
    ("<a></", Outcome::BothReject),
    ("<a>text", Outcome::BothReject),
    // Rules roxmltree does not enforce.
    ("<?xml?><a/>", Outcome::StricterReject),
    ("<a><?XML x?></a>", Outcome::StricterReject),
    ("<a><?xml\tversion=\"1.0\"?></a>", Outcome::StricterReject),
    ("<?foo!bar?><a/>", Outcome::StricterReject),
    ("<?a:b x?><a/>", Outcome::StricterReject),
    ("<?xml versionx=\"1\"?><a/>", Outcome::StricterReject),
    ("<?xml version=\"2.0\"?><a/>", Outcome::StricterReject),
    (
        "<?xml version=\"1.0\" encoding=\"ut f\"?><a/>",
        Outcome::StricterReject,
    ),
    (
        "<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
        Outcome::StricterReject,
    ),
    ("<?xml\tversion=\"1\"?><a/>", Outcome::StricterReject),
    ("<a>&#xD800;</a>", Outcome::StricterReject),
    ("<a b=\"&#x110000;\"/>", Outcome::StricterReject),
    ("<a xmlns=\"x\" xmlns=\"y\"/>", Outcome::StricterReject),
    ("<a p:xmlns=\"u\"/>", Outcome::StricterReject),
    ("<:a></a>", Outcome::StricterReject),
    ("<a :x=\"1\"/>", Outcome::StricterReject),
    ("<a></:a>", Outcome::StricterReject),
    ("<a xmlns:p=\"\"><p:b/></a>", Outcome::StricterReject),
    ("<a xmlns:xmlns=\"urn:x\"/>", Outcome::StricterReject),
    // Valid XML roxmltree refuses.
    ("<xml:a/>", Outcome::LenientAccept),
    // Compared by hand below.
    (
        "<a xmlns:p=\"x\" p:xmlns=\"u\"/>",
        Outcome::BothAcceptUncompared,
    ),
];

#[test]
fn hand_picked_cases_relate_as_documented() {
    for (text, expected) in CASES {
        assert_eq!(outcome(text), *expected, "{text:?}");
    }
}

// ----- the IIS corpus -----

fn corpus_dir() -> Option<std::path::PathBuf> {
    let root = std::env::var_os("LINT403_CORPUS").map_or_else(
        || std::path::PathBuf::from("/work/shared/corpus"),
        Into::into,
    );
    let iis = root.join("iis");
    iis.is_dir().then_some(iis)
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
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

/// The corpus files, decoded as lint403 reads them.
fn corpus_texts() -> Option<Vec<(std::path::PathBuf, String)>> {
    let dir = corpus_dir()?;
    Some(
        files_under(&dir)
            .into_iter()
            .filter_map(|path| {
                let source = lint403_core::read::read_source(&path).ok()?;
                Some((path, source.text))
            })
            .collect(),
    )
}

#[test]
fn corpus_files_agree_with_roxmltree_and_round_trip() {
    let Some(texts) = corpus_texts() else {
        eprintln!("SKIPPED: IIS corpus not found (set LINT403_CORPUS)");
        return;
    };
    assert!(texts.len() >= 40, "only {} IIS corpus files", texts.len());
    let mut accepted = 0;
    for (path, text) in &texts {
        match outcome(text) {
            Outcome::BothAcceptSameTree => {
                accepted += 1;
                let output = lint403_iis::parse(text);
                let is_configuration = output
                    .well_formed()
                    .is_some_and(|d| d.root.name.as_str() == "configuration");
                assert_eq!(
                    lint403_iis::looks_like_iis_config(text),
                    is_configuration,
                    "{}",
                    path.display()
                );
            }
            Outcome::BothReject => {
                let output = lint403_iis::parse(text);
                let error = output.error.as_ref().map(|e| e.code().code);
                assert_eq!(error, Some("P001"), "{}", path.display());
            }
            other => panic!("{}: unexpected {other:?}", path.display()),
        }
    }
    // The corpus README: 47 of 48 files are well-formed XML.
    assert_eq!(accepted, texts.len() - 1);
}

#[test]
fn drupal_plain_text_fixture_is_a_syntax_error_on_line_one() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: IIS corpus not found (set LINT403_CORPUS)");
        return;
    };
    let path = dir.join(
        "drupal__core/modules__package_manager__tests__fixtures__fake_site__vendor__web.config",
    );
    let Ok(source) = lint403_core::read::read_source(&path) else {
        eprintln!("SKIPPED: {} missing", path.display());
        return;
    };
    let output = lint403_iis::parse(&source.text);
    let error = output.error.expect("plain text is not XML");
    assert_eq!(error.code(), lint403_core::codes::SYNTAX_ERROR);
    assert_eq!(error.kind, lint403_iis::ErrorKind::TextOutsideRoot);
    assert_eq!(error.range.start, 0);
    assert_eq!(source.line_col(error.range.start).line, 1);
    assert!(!error.help.is_empty());
}

// ----- mutants -----

/// xorshift64*: deterministic, so a failing mutant is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INSERTS: &[&str] = &[
    "<",
    ">",
    "&",
    "\"",
    "'",
    "/",
    "=",
    "]]>",
    "--",
    "&#0;",
    "&foo;",
    " xmlns:p=\"urn:p\"",
    " p:a=\"1\"",
    " xmlns=\"urn:d\"",
    " xmlns=\"\"",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?",
    "?>",
    "<?pi x?>",
    "&#xD800;",
    "&#13;",
    "&#10;",
    "\r",
    "\n",
    "\t",
    " ",
    "\u{0}",
    "\u{1}",
    ":",
    "&lt;",
    "&amp;",
    "&#x41;",
    "&#65;",
    "<!DOCTYPE x>",
    "</a>",
    "<a>",
    "<b/>",
    "x",
    "é",
    "\u{FFFE}",
    "<?xml version=\"1.0\"?>",
    " a=\"1\"",
    " a='2'",
    "xml:",
    "xmlns:",
    "&#",
    ";",
    "<x:y/>",
];

fn char_boundary(text: &str, rng: &mut Rng) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut text = text.to_owned();
    for _ in 0..=rng.below(3) {
        let at = char_boundary(&text, rng);
        let len = 1 + rng.below(4);
        let mut end = (at + len).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        match rng.below(3) {
            0 => {
                text.replace_range(at..end, "");
            }
            1 => {
                let piece = text[at..end].to_owned();
                text.insert_str(at, &piece);
            }
            _ => text.insert_str(at, INSERTS[rng.below(INSERTS.len())]),
        }
    }
    text
}

/// Web.config-shaped documents written for these tests.
const SEEDS: &[&str] = &[
    concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n",
        "<!-- seed written for lint403's tests -->\r\n",
        "<configuration xmlns:xdt=\"http://schemas.microsoft.com/XML-Document-Transform\">\r\n",
        "  <system.webServer>\r\n",
        "    <security>\r\n",
        "      <ipSecurity allowUnlisted=\"false\" denyAction=\"Forbidden\">\r\n",
        "        <add ipAddress=\"192.0.2.10\" allowed=\"true\" />\r\n",
        "        <add ipAddress='10.0.0.0' subnetMask=\"255.0.0.0\"/>\r\n",
        "      </ipSecurity>\r\n",
        "    </security>\r\n",
        "    <rewrite><rules>\r\n",
        "      <rule name=\"Block &quot;bad&quot; bots\" stopProcessing=\"true\">\r\n",
        "        <match url=\"^(admin|\\.git)/?(.*)$\" ignoreCase=\"true\"/>\r\n",
        "        <conditions logicalGrouping=\"MatchAny\">\r\n",
        "          <add input=\"{HTTP_REFERER}\" pattern=\"^https?://(www\\.)?example\\.com/\" negate=\"true\" />\r\n",
        "          <add input=\"{QUERY_STRING}\" pattern=\"a=1&amp;b=&lt;2&gt;&#x2F;\" />\r\n",
        "        </conditions>\r\n",
        "        <action type=\"CustomResponse\" statusCode=\"403\" statusReason=\"Forbidden\" />\r\n",
        "      </rule>\r\n",
        "    </rules></rewrite>\r\n",
        "    <directoryBrowse enabled=\"false\" xdt:Transform=\"SetAttributes\" />\r\n",
        "  </system.webServer>\r\n",
        "  <appSettings><![CDATA[ raw <text> ]]>&#233;t&#xE9;</appSettings>\r\n",
        "  <?lint403 marker?>\r\n",
        "</configuration>\r\n",
    ),
    concat!(
        "\u{feff}<configuration xmlns=\"http://schemas.microsoft.com/.NetConfiguration/v2.0\">\n",
        "\t<system.web>\n",
        "\t\t<authorization>\n",
        "\t\t\t<deny users=\"?\"\t/>\n",
        "\t\t\t<allow users=\"alice,\n\t\t\tbob\" roles='Admins'/>\n",
        "\t\t</authorization>\n",
        "\t</system.web>\n",
        "\t<runtime>\n",
        "\t\t<assemblyBinding xmlns=\"urn:schemas-microsoft-com:asm.v1\">\n",
        "\t\t\t<dependentAssembly><assemblyIdentity name=\"x\" culture=\"neutral\"/></dependentAssembly>\n",
        "\t\t</assemblyBinding>\n",
        "\t</runtime>\n",
        "\t<location path=\"admin\" inheritInChildApplications=\"false\"><system.webServer/></location>\n",
        "</configuration>\n",
        "<!-- trailing -->\n",
    ),
    "<a xmlns:p=\"urn:p\" p:x=\"1\" y='&lt;&#10;'><p:b>t&amp;t<c/><!--c--></p:b>\r<![CDATA[d]]></a>",
];

#[test]
fn mutants_of_accepted_documents_agree_with_roxmltree() {
    let mut seeds: Vec<String> = SEEDS.iter().map(|s| (*s).to_owned()).collect();
    if let Some(texts) = corpus_texts() {
        seeds.extend(
            texts
                .into_iter()
                .map(|(_, text)| text)
                .filter(|text| text.len() < 40_000 && lint403_iis::parse(text).error.is_none()),
        );
    } else {
        eprintln!("NOTE: IIS corpus not found; mutating the built-in seeds only");
    }
    let mut rng = Rng(0x1403_1403_1403_1403);
    let mut counts = std::collections::BTreeMap::new();
    let mutants = 12_000;
    for case in 0..mutants {
        let seed = &seeds[rng.below(seeds.len())];
        let mutant = mutate(seed, &mut rng);
        round_trips(&mutant);
        match compare(&mutant) {
            Ok(outcome) => *counts.entry(format!("{outcome:?}")).or_insert(0) += 1,
            Err(difference) => panic!("mutant {case}: {difference}\n{mutant:?}"),
        }
    }
    eprintln!("{mutants} mutants: {counts:?}");
    let count = |name: &str| counts.get(name).copied().unwrap_or(0);
    assert!(count("BothAcceptSameTree") > mutants / 10, "{counts:?}");
    assert!(count("BothReject") > mutants / 4, "{counts:?}");
}
