#[global_allocator]
static ALLOCATOR: lint403_alloc::Allocator = lint403_alloc::Allocator;

fn main() -> std::process::ExitCode {
    lint403_alloc::tune();
    lint403::cli::main()
}
