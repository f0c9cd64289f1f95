//! Directive checks: contexts, terminators, argument counts, flags, and
//! the context a fragment is checked in.

mod common;

use common::{assert_well_formed, check_text, options_in, summary};
use lint403_core::CheckOptions;

const MAIN: &str = "events {}\nhttp {\nserver {\nlisten 127.0.0.1:20080;\n";
const MAIN_END: &str = "}\n}\n";

fn in_server(body: &str) -> String {
    format!("{MAIN}{body}{MAIN_END}")
}

fn p002(text: &str) -> Vec<(usize, String)> {
    let (sources, output) = check_text("nginx.conf", text, &CheckOptions::default());
    assert_well_formed(&sources, &output);
    summary(&sources, &output)
        .into_iter()
        .filter(|(code, ..)| code == "P002")
        .map(|(_, _, line, message)| (line, message))
        .collect()
}

#[test]
fn access_rules_are_not_allowed_in_if() {
    let text = in_server("location / {\nif ($uri) {\ndeny all;\n}\n}\n");
    assert_eq!(
        p002(&text),
        vec![(7, "\"deny\" directive is not allowed here".to_string())]
    );
}

#[test]
fn return_and_valid_referers_are_not_allowed_in_http() {
    let text = "events {}\nhttp {\nreturn 403;\nvalid_referers none;\n}\n";
    assert_eq!(
        p002(text),
        vec![
            (3, "\"return\" directive is not allowed here".to_string()),
            (
                4,
                "\"valid_referers\" directive is not allowed here".to_string()
            ),
        ]
    );
}

#[test]
fn include_is_allowed_inside_limit_except() {
    // crossplane#108 reported this as misplaced; nginx accepts it.
    let text = in_server("location / {\nlimit_except GET {\ninclude /etc/nginx/acl.conf;\n}\n}\n");
    assert!(p002(&text).is_empty());
}

#[test]
fn argument_counts_are_checked_against_the_mask() {
    let text =
        in_server("return;\nlocation / {\nreturn 403 a b;\ndeny;\nroot a b;\nadd_header X;\n}\n");
    let found: Vec<_> = p002(&text).into_iter().map(|(line, _)| line).collect();
    assert_eq!(found, vec![5, 7, 8, 9, 10]);
    let messages = p002(&text);
    assert_eq!(
        messages[0].1,
        "invalid number of arguments in \"return\" directive"
    );
}

#[test]
fn terminators_must_match_the_directive() {
    let text = in_server("location /x;\ndeny all {\n}\nif ($uri) ;\n");
    assert_eq!(
        p002(&text),
        vec![
            (5, "directive \"location\" has no opening \"{\"".to_string()),
            (
                6,
                "directive \"deny\" is not terminated by \";\"".to_string()
            ),
            (8, "directive \"if\" has no opening \"{\"".to_string()),
        ]
    );
}

#[test]
fn flags_take_on_or_off() {
    let text = in_server("gzip yes;\ngzip ON;\nsendfile off;\n");
    assert_eq!(
        p002(&text),
        vec![(
            5,
            "invalid value \"yes\" in \"gzip\" directive, it must be \"on\" or \"off\"".to_string()
        )]
    );
}

#[test]
fn unknown_directives_and_their_blocks_are_not_reported() {
    let text = in_server(
        "more_set_headers \"X: y\";\nmy_module_block {\ndeny all;\nreturn;\n}\n\
         content_by_lua_block { ngx.say('}') }\n",
    );
    assert!(p002(&text).is_empty());
}

#[test]
fn entries_of_map_geo_types_are_not_directives() {
    let text = "events {}\nhttp {\nmap $uri $blocked {\ndefault 0;\n~^/admin 1;\nhostnames;\n\
                deny 1;\n}\ngeo $bad {\ndefault 0;\n10.0.0.0/8 1;\n}\ntypes {\ntext/html html;\n}\n\
                split_clients \"${remote_addr}\" $variant {\n50% one;\n* \"\";\n}\n}\n";
    assert!(p002(text).is_empty());
    let (sources, output) = check_text(
        "nginx.conf",
        "events {}\nhttp {\nmap $a $b {\nx {\n}\n}\n}\n",
        &CheckOptions::default(),
    );
    assert_eq!(
        summary(&sources, &output),
        vec![(
            "P001".to_string(),
            "nginx.conf".to_string(),
            4,
            "unexpected \"{\"".to_string()
        )]
    );
}

#[test]
fn a_misplaced_block_does_not_make_its_body_misplaced_too() {
    let text = in_server("location / {\nif ($uri) {\nlocation /x {\nroot /srv;\n}\n}\n}\n");
    assert_eq!(
        p002(&text),
        vec![(7, "\"location\" directive is not allowed here".to_string())]
    );
}

#[test]
fn unquoted_regex_braces_give_nginx_structure() {
    // nginx: unknown directive "2}$"; lint403 reports nothing (unknown
    // directive) but nests what follows the way nginx does.
    let text = in_server("location ~ ^/(a|b){2}$ {\n}\nlocation /x {\n}\n}\n");
    let (sources, output) = check_text("nginx.conf", &text, &CheckOptions::default());
    assert!(summary(&sources, &output)
        .iter()
        .all(|(code, ..)| code != "P001"));
    let tree = lint403_nginx::parse(&text).tree;
    let nested: Vec<_> = tree
        .walk()
        .map(|(depth, directive)| (depth, directive.name(&text).into_owned()))
        .filter(|(_, name)| name == "location" || name == "2}$")
        .collect();
    assert_eq!(
        nested,
        vec![
            (2, "location".to_string()),
            (3, "2}$".to_string()),
            (3, "location".to_string())
        ]
    );
}

#[test]
fn byte_order_mark_is_reported_as_nginx_does() {
    let (sources, output) = check_text(
        "nginx.conf",
        "\u{feff}events {}\n",
        &CheckOptions::default(),
    );
    let found = summary(&sources, &output);
    assert_eq!(found.len(), 1);
    assert!(found[0]
        .3
        .starts_with("unknown directive \"\\xEF\\xBB\\xBFevents\""));
}

fn fragment_errors(name: &str, text: &str) -> Vec<(String, usize, String)> {
    let (sources, output) = check_text(name, text, &CheckOptions::default());
    summary(&sources, &output)
        .into_iter()
        .filter(|(code, ..)| code == "P002")
        .map(|(code, _, line, message)| (code, line, message))
        .collect()
}

#[test]
fn fragments_are_checked_where_their_directives_belong() {
    for (name, text) in [
        ("loc.conf", "location / {\nroot /srv;\n}\n"),
        ("site.conf", "server {\nlisten 80;\nlocation / {\n}\n}\n"),
        ("listen.conf", "listen 80;\nserver_name example.com;\n"),
        ("acl.conf", "allow 10.0.0.0/8;\ndeny all;\n"),
        ("events.conf", "worker_connections 1024;\n"),
        ("php.conf", "fastcgi_pass unix:/run/php.sock;\ninclude fastcgi_params;\n"),
        ("if.conf", "if ($http_referer ~ x) {\nadd_header X-Frame-Options DENY;\n}\n"),
        ("upstream.conf", "server 127.0.0.1:9000 weight=2;\nkeepalive 8;\n"),
        ("stream.conf", "server {\nlisten 12345;\nproxy_pass backend;\n}\nupstream backend {\nserver 127.0.0.1:1;\n}\nproxy_timeout 1s;\n"),
        ("empty.conf", ""),
    ] {
        assert!(fragment_errors(name, text).is_empty(), "{name}: {:?}", fragment_errors(name, text));
    }
}

#[test]
fn a_fragment_that_fits_nowhere_gets_the_fewest_errors() {
    let errors = fragment_errors("mixed.conf", "server {\n}\nlocation / {\n}\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn main_configurations_are_checked_at_main_level() {
    let errors = fragment_errors("nginx.conf", "location / {\n}\n");
    assert_eq!(
        errors,
        vec![(
            "P002".to_string(),
            1,
            "\"location\" directive is not allowed here".to_string()
        )]
    );
    let errors = fragment_errors("other.conf", "worker_processes 1;\nlocation / {\n}\n");
    assert_eq!(errors.len(), 1);
}

#[test]
fn the_context_option_overrides_the_guess() {
    let (sources, output) = check_text("listen.conf", "listen 80;\n", &options_in("location"));
    assert_eq!(
        summary(&sources, &output),
        vec![(
            "P002".to_string(),
            "listen.conf".to_string(),
            1,
            "\"listen\" directive is not allowed here".to_string()
        )]
    );
    let (sources, output) = check_text("x.conf", "deny all;\n", &options_in("if"));
    assert_eq!(summary(&sources, &output).len(), 1);
    let (sources, output) = check_text("x.conf", "deny all;\n", &options_in("limit_except"));
    assert!(summary(&sources, &output).is_empty());
}

#[test]
fn syntax_errors_come_with_spans_and_help() {
    let (sources, output) = check_text("nginx.conf", "events {\n", &CheckOptions::default());
    assert_well_formed(&sources, &output);
    let diagnostic = &output.diagnostics[0];
    assert_eq!(diagnostic.code.code, "P001");
    assert!(diagnostic.span.range.is_empty());
    assert_eq!(diagnostic.span.range.start, 9);
    assert_eq!(diagnostic.related.len(), 1);
    assert_eq!(diagnostic.related[0].span.range.start, 7);
    assert!(output.parsed.is_empty());
}
