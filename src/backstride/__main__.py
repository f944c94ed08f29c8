"""``python -m backstride``: the command line."""

from backstride.cli import main

main()
