"""The headless face: a standard-library parser, and one module per command group that it names
lazily, so that `cttui --help` loads none of them."""
