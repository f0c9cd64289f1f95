fn main() -> std::process::ExitCode {
    lint403::cli::main()
}
