//! The `aiswatch` binary: parses flags and hands over to the library. The
//! only place that uses `anyhow` and maps errors to exit codes.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
