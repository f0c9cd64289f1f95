//! Codes of the diagnostics that do not come from a lint rule: what the
//! parsers and loaders report. Lint rules register their codes in the rule
//! crate; the parse family `P` lives here because every parser needs it.
//! Codes and names are a public contract (suppressions and CI configs name
//! them): never renumber one.

use crate::diagnostic::Severity;

/// A stable diagnostic code with its kebab-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
    /// The documentation page in Markdown: what it does, why it matters
    /// for a 403, an example, the fix.
    pub doc: &'static str,
}

/// The tokenizer or block grammar failed: the server itself would refuse
/// the file.
pub const SYNTAX_ERROR: Code = Code {
    code: "P001",
    name: "syntax-error",
    default_severity: Severity::Error,
    summary: "input the server's own parser rejects",
    doc: r#"## What it does
Reports input that the server's own configuration parser rejects: for nginx a tokenizer or block
error (`return 403}`, `"a"b`, `;;`, a stray `}`, an unclosed `{` at end of file); for Apache a
section opener without `>`, a section not closed, a closer that does not match; for IIS XML that
is not well-formed (a raw `&` or `<` in an attribute, mismatched tags, an unknown entity).

## Why it causes 403
A server that cannot parse its configuration does not start or reload (nginx, httpd), keeps
serving the old configuration, or answers every request below a broken `.htaccess` with 500 and
every request of a broken `web.config` site with 500.19. The access rules you meant to change
are not the ones in force.

## Example
```nginx
location /admin/ {
    return 403}
```
nginx: `unexpected "}"` — the `}` is part of the word `403}`.

## Fix
Correct the syntax at the labelled span; the help line says how (add the `;`, quote the regex,
close the section, escape `&` as `&amp;`).
"#,
};

/// A known directive in a context the server refuses, or with an argument
/// count it refuses.
pub const DIRECTIVE_NOT_ALLOWED_HERE: Code = Code {
    code: "P002",
    name: "directive-not-allowed-here",
    default_severity: Severity::Error,
    summary: "a directive in a context, or with arguments, the server refuses",
    doc: r#"## What it does
Reports a known directive in a context the server refuses, or with an argument count the server
refuses: nginx `deny` inside `if`, `return` at `http` level, `valid_referers` at `http` level, an
`allow`/`deny` address nginx cannot read (`invalid parameter "1.2.3.4/33"`; nginx reads loosely
written octets such as `010.0.0.1` but refuses `255.255.255.255` and a signed prefix `/+24`);
Apache `<Directory>`, `<Location>`, `Define`, `Include` or `AllowOverride` in `.htaccess`.

## Why it causes 403
The server refuses the whole file (`nginx -t` fails: `"deny" directive is not allowed here`), or,
for `.htaccess`, answers 500 to every request below it. The restriction you wrote never takes
effect, and the one in force may deny or allow what you did not intend.

## Example
```nginx
location /downloads/ {
    if ($http_referer = "") {
        deny all;
    }
}
```

## Fix
Move the directive to a context that allows it (a `location` instead of `if`; the vhost instead
of `.htaccess`), or use the mechanism meant for that context (`return 403` inside `if`).
"#,
};

/// An include that loads nothing (missing file, empty glob) or that cannot
/// be followed (absolute path outside the linted tree).
pub const INCLUDE_UNRESOLVED: Code = Code {
    code: "P003",
    name: "include-unresolved",
    default_severity: Severity::Warning,
    summary: "an include that loads nothing, or more than meant",
    doc: r"## What it does
Reports an include that loads nothing: a missing plain file (nginx and httpd refuse to start),
an `Include` wildcard that matches nothing (httpd refuses; `IncludeOptional` tolerates it), or an
absolute path that lint403 cannot see because it names the deploy target (info: map it with
`paths:` in `.lint403.yaml`).

## Why it causes 403
Access lists and authentication often live in included snippets. An include that loads nothing
silently drops them — or stops the server from loading the new configuration at all.

## Example
```apache
Include conf.d/acl-*.conf
```
with no matching file: `apache2 -t` fails.

## Fix
Create the file, fix the path (relative paths resolve against the nginx prefix or the httpd
`ServerRoot`, not the including file), or use `IncludeOptional` when absence is intended.
",
};

/// A file that exists but cannot be read (a directory given as an include,
/// a FIFO, a dangling symlink, permission denied).
pub const FILE_UNREADABLE: Code = Code {
    code: "P006",
    name: "file-unreadable",
    default_severity: Severity::Error,
    summary: "a configuration file that cannot be read",
    doc: r"## What it does
Reports a configuration file that exists in name but cannot be read: a directory where a file is
expected, a FIFO or socket, a dangling symbolic link, a symbolic link loop, a permission error,
or a file larger than lint403 reads. Also a file of a large configuration that changed or
vanished while it was checked: its text is read again to show the findings, which are then
listed without it.

## Why it causes 403
lint403 cannot say what such a file allows or denies, and the server usually cannot read it
either. It is reported so that it is never skipped silently.

## Example
`sites-enabled/shop.conf -> ../sites-available/shop.conf` after the target was deleted.

## Fix
Point the link at an existing file, remove the stale entry, or exclude the path from the check.
",
};

/// Includes that include each other.
pub const INCLUDE_CYCLE: Code = Code {
    code: "P007",
    name: "include-cycle",
    default_severity: Severity::Error,
    summary: "files that include each other",
    doc: r"## What it does
Reports includes that include each other, directly or through other files.

## Why it causes 403
nginx and httpd stop at their recursion limit and refuse the configuration; IIS refuses a
`configSource` loop. The configuration in force is not the one in the repository.

## Example
`a.conf` contains `include b.conf;` and `b.conf` contains `include a.conf;`.

## Fix
Remove the include that closes the loop; keep each snippet included from one place.
",
};

/// A bound lint403 sets to stay safe on hostile input: include depth, block
/// nesting depth, number of files a glob may pull in.
pub const LIMIT_EXCEEDED: Code = Code {
    code: "P008",
    name: "limit-exceeded",
    default_severity: Severity::Error,
    summary: "nesting or include depth beyond what lint403 follows",
    doc: r"## What it does
Reports input beyond the bounds lint403 keeps to stay safe on hostile files: block or section
nesting deeper than it follows, includes nested too deep, an include glob that matches too many
files.

## Why it causes 403
Nothing beyond the limit is checked, so a deny or allow there is not seen. Real configurations
never come near these bounds; reaching one usually means a generated or corrupted file.

## Example
A file with ten thousand nested `location` blocks.

## Fix
Flatten the configuration, or split the include pattern.
",
};

/// A `<!DOCTYPE>` in an XML configuration: refused, no entity is expanded.
pub const DTD_REJECTED: Code = Code {
    code: "P009",
    name: "dtd-rejected",
    default_severity: Severity::Error,
    summary: "a document type declaration in web.config, refused unexpanded",
    doc: r#"## What it does
Reports a `<!DOCTYPE …>` in a `web.config` or a `configSource` file. lint403 refuses it and
never expands an entity, so billion-laughs and external-entity documents cost nothing.

## Why it causes 403
Configuration files have no business declaring a DTD; one that does is either corrupt or an
attack on the tools that read it. IIS's configuration system does not use it.

## Example
```xml
<!DOCTYPE configuration [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
<configuration>&x;</configuration>
```

## Fix
Delete the DOCTYPE and write the values out.
"#,
};

/// A request the configuration file `.lint403.yaml` says must be allowed
/// (or denied) that the tracer says is not.
pub const EXPECTATION_VIOLATED: Code = Code {
    code: "P010",
    name: "expectation-violated",
    default_severity: Severity::Error,
    summary: "a request listed under `expect:` that the configuration answers otherwise",
    doc: r#"## What it does
Traces every request listed under `expect:` in `.lint403.yaml` through the configuration, as
`lint403 trace` does, and reports each one whose outcome differs from what the list says: an
`allow` entry that gets 403 (or 401), a `deny` entry that gets through. The diagnostic points at
the line that decides the request; an entry lint403 cannot decide is reported too (it never
counts as met).

## Why it causes 403
"This path must stay public" and "`.git` must never be served" are facts about the site that no
generic rule knows. Written down as expectations, they are checked on every commit, so a new
`location`, a moved `deny all;` or a forgotten `.htaccess` cannot silently start refusing
`/.well-known/acme-challenge/` or serving `/.git/config`.

## Example
```yaml
expect:
  - config: deploy/nginx/nginx.conf
    allow: ["GET /.well-known/acme-challenge/t"]
    deny: ["GET /.git/config from 203.0.113.7"]
```
with `location ~ /\. { deny all; }` in the server: the first entry is refused by that line.

## Fix
Change the configuration (here: add `location ^~ /.well-known/acme-challenge/ { allow all; }`),
or, if the expectation is what changed, edit `.lint403.yaml`.
"#,
};

/// A `lint403: ignore[...]` comment that silences nothing.
pub const UNUSED_SUPPRESSION: Code = Code {
    code: "P011",
    name: "unused-suppression",
    default_severity: Severity::Warning,
    summary: "a lint403 suppression comment that silences nothing",
    doc: r"## What it does
Reports a suppression comment (`# lint403: ignore[...]`, `# lint403: file-ignore[...]`,
`<!-- lint403: ignore[...] -->`) that silences no diagnostic: the problem it was written for is
gone or has moved, it names a code or name lint403 does not have, it is malformed, a
`file-ignore` stands after the first directive, or it is followed by no statement.

## Why it causes 403
A stale suppression waits silently for the next problem of its code on that line: the day a
`deny all;` is added there, nobody is told. Reporting it keeps every suppression deliberate.

## Example
```nginx
# lint403: ignore[A001] the allow below used to be shadowed
allow 10.0.0.1;
deny all;
```

## Fix
Delete the comment, or the codes in it that no longer apply. In Apache files write it on its own
line: httpd reads a `#` after a directive as more arguments, not as a comment.
",
};

/// Every code defined in this crate, in code order.
pub const PARSE_CODES: &[Code] = &[
    SYNTAX_ERROR,
    DIRECTIVE_NOT_ALLOWED_HERE,
    INCLUDE_UNRESOLVED,
    FILE_UNREADABLE,
    INCLUDE_CYCLE,
    LIMIT_EXCEEDED,
    DTD_REJECTED,
    EXPECTATION_VIOLATED,
    UNUSED_SUPPRESSION,
];
