"""backstride: what in your running and your body is loading your lower back."""

__version__ = "0.1.0"
