// The check allocates and frees millions of small nodes per large
// configuration; mimalloc's thread-local free lists cost a fraction of
// glibc malloc's there (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lint403::cli::main()
}
