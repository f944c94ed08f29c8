"""Everything that touches files, formats and libraries outside the core."""
