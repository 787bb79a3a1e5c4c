"""The ``arrears`` command line: thin adapters over the domain services."""
