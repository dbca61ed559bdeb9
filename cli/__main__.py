"""`python -m cli …` runs the `fanpilot` command line."""

from cli.main import main

main()
