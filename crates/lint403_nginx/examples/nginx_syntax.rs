//! Prints what the parser says of a file, one line per finding:
//! `offset<TAB>line<TAB>message`. With `--types-body`, also the `{` of
//! every block nested directly in a `types` block (nginx refuses
//! those with `unexpected "{"`). A development aid for comparing the parser
//! with `nginx -t` on generated inputs.

use std::io::Read;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut types_body = false;
    let mut path = None;
    for arg in args.by_ref() {
        if arg == "--types-body" {
            types_body = true;
        } else {
            path = Some(arg);
        }
    }
    let mut bytes = Vec::new();
    let read = match &path {
        Some(path) => std::fs::File::open(path).and_then(|mut file| file.read_to_end(&mut bytes)),
        None => std::io::stdin().read_to_end(&mut bytes),
    };
    if let Err(error) = read {
        eprintln!("cannot read input: {error}");
        std::process::exit(2);
    }
    let file = lint403_core::SourceFile::from_bytes("input", bytes);
    let output = lint403_nginx::parse(&file.text);
    let mut findings: Vec<(usize, usize, String)> = output
        .errors
        .iter()
        .map(|error| {
            // nginx notices a too long word where its buffer runs out.
            let noticed = if error.message.starts_with("too long") {
                error.range.end
            } else {
                error.range.start
            };
            (noticed, error.range.start, error.message.clone())
        })
        .collect();
    if types_body {
        for (_, directive) in output.tree.walk() {
            if directive.name(&file.text) != "types" {
                continue;
            }
            for inner in directive
                .block()
                .into_iter()
                .flat_map(lint403_nginx::syntax::Block::directives)
            {
                if let Some(block) = inner.block() {
                    findings.push((
                        block.open().start,
                        block.open().start,
                        "unexpected \"{\"".to_string(),
                    ));
                }
            }
        }
    }
    findings.sort_by_key(|(noticed, _, _)| *noticed);
    for (noticed, start, message) in findings {
        println!("{noticed}\t{}\t{message}", file.line_col(start).line);
    }
}
