"""The `fanpilot` command line: the top of the house (it may import every package; nothing imports it)."""
