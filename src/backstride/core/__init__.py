"""Pure functions and frozen dataclasses: numpy in, results out, SI units, no I/O."""
