"""The shipped script library: YAML files read by ``arrears.scripts.library.shipped``."""
