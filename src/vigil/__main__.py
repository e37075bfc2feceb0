"""``python -m vigil``: the same as the ``vigil`` command."""

from vigil.cli import main

if __name__ == "__main__":
    main()
