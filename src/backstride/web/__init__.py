"""The local web app: server-rendered pages over the same workflows the CLI uses."""
