"""The ``necessity`` command line: one module per command, all of them thin."""
