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
