"""``python -m vigil``: the same as the ``vigil`` command."""

from vigil.cli import run

if __name__ == "__main__":
    run()
