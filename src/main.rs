//! `sovang`: parse the command line and hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    sovang::cli::run(sovang::cli::Cli::parse()).await
}
