//! The `aiswatch` binary: parses flags and hands over to the library. The
//! only place that uses `anyhow` and maps errors to exit codes.

mod cli;

/// jemalloc serves every allocation of the process (Rust's, and C's through
/// the unprefixed `malloc`: SQLite's page caches). Its background threads
/// return freed pages to the OS within seconds (`dirty_decay_ms`, 10 s),
/// also while the daemon is idle: glibc's malloc kept most of the memory of
/// a forgotten burst of vessels, or of closed streams, for good.
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
