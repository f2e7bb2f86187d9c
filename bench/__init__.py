"""ivigtrack benchmarks: `make bench` (or `python -m bench --help`). Not part of `make test`."""
