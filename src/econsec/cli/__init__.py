"""The ``econsec`` command line (typer + rich). Each command group is one module;
heavy imports happen inside the commands, never at import time."""
