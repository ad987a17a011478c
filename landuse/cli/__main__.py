"""``python -m landuse.cli``: the same as the ``landuse`` command."""

from landuse.cli import main

if __name__ == "__main__":
    main()
