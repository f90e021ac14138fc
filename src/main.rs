//! `sovang`: parse the command line and hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Everything the service makes (the database, its log, master.key,
    // admin.token) is its owner's alone from the moment it exists (SPEC
    // §9); the data directory is checked and kept private on every start.
    #[cfg(unix)]
    // SAFETY: umask only sets this process's file-creation mask; it has no
    // memory effects and cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    sovang::cli::run(sovang::cli::Cli::parse()).await
}
