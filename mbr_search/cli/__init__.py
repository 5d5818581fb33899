"""Command-line interface: parse, build typed config, call one core function, map errors."""
