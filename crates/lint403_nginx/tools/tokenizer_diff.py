#!/usr/bin/env python3
"""Compare lint403's tokenizer with `nginx -t` on generated token soups.

Each input is random pieces (words, quotes, backslashes, `$`, `${v}`,
braces, `;`, `#`, whitespace, long words/comments/strings) inside a
`types { }` block, where nginx reads every statement as an entry, so the
first error nginx reports is a tokenizer or block-grammar error. The first
finding of `examples/nginx_syntax.rs --types-body` must have the same
message and line.

Usage: cargo build -p lint403_nginx --example nginx_syntax
       tools/tokenizer_diff.py EXAMPLE_BINARY [COUNT] [--long]
"""
import random, re, shutil, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

PIECES = ['a', 'b', 'x1', '"q"', '"', "'", "'s'", '\\', '\\"', '$', '${v}', '{', '}', ';', ' ', ' ',
          '\n', '\n', '#c', '#', '(', ')', '\t', '\r\n', '$a{', '}{', '"a b"', '""', '\\;', '\\{', '\\}']
LONG = ['x' * 4000, '#' + 'c' * 3000, ' ' * 3000, '"' + 'y' * 2500]


def main():
    example = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 1000
    pieces = PIECES + (LONG if '--long' in sys.argv else [])
    size = 12 if '--long' in sys.argv else 25

    def generate(seed):
        rng = random.Random(seed)
        body = ''.join(rng.choice(pieces) for _ in range(rng.randint(1, size)))
        return "events {}\nhttp {\ntypes {\n" + body + "\n}\n}\n"

    def nginx(text):
        d = tempfile.mkdtemp(prefix='lint403-tokdiff-')
        try:
            with open(d + '/nginx.conf', 'w') as f:
                f.write(text)
            p = subprocess.run(['nginx', '-t', '-q', '-p', d, '-c', d + '/nginx.conf',
                                '-g', f'pid {d}/nginx.pid; error_log {d}/error.log;'],
                               capture_output=True, text=True)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        for line in p.stderr.splitlines():
            if '[emerg]' in line:
                m = re.search(r'\[emerg\] \d+#\d+: (.*?)(?: in \S+:(\d+))?$', line)
                return (m.group(1), int(m.group(2)) if m.group(2) else None)
        return None

    def lint403(text):
        p = subprocess.run([example, '--types-body'], input=text.encode(), capture_output=True)
        lines = p.stdout.decode().splitlines()
        if not lines:
            return None
        _, line, message = lines[0].split('\t', 2)
        return (message, int(line))

    def one(seed):
        text = generate(seed)
        theirs, ours = nginx(text), lint403(text)
        if theirs and not (theirs[0].startswith('unexpected') or theirs[0].startswith('too long')):
            return seed, None, None, True
        return seed, theirs, ours, False

    mismatches = skipped = 0
    with ThreadPoolExecutor(2) as pool:
        for seed, theirs, ours, skip in pool.map(one, range(count)):
            skipped += skip
            if not skip and theirs != ours:
                mismatches += 1
                if mismatches <= 10:
                    print(f'seed {seed}: nginx {theirs}, lint403 {ours}')
    print(f'{count} inputs, {skipped} skipped (non-tokenizer nginx error), {mismatches} mismatches')
    sys.exit(1 if mismatches else 0)


if __name__ == '__main__':
    main()
