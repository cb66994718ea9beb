"""The command line: each subcommand is one module here that parses, calls the library, prints."""
