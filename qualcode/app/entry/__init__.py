"""The workbench's page script, in a folder of its own (see workbench.py)."""
