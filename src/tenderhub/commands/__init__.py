"""The command-line commands, one module each; ``tenderhub.cli`` dispatches to them."""
