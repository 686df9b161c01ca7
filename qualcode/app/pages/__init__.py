"""One module per workbench page; each has render()."""
