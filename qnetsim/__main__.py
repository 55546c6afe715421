"""``python -m qnetsim``: the ``qnetsim`` command, immune to local files named like its packages."""

import sys

from qnetsim.shadowing import check_layers, drop_working_directory

EXIT_BAD_INPUT = 2

if __name__ == "__main__":
    drop_working_directory()  # as ``python -P``: a local analysis.py must not replace the package
    try:
        check_layers()  # still shadowed (e.g. through PYTHONPATH): say so instead of importing it
    except ImportError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    from scenarios.cli import main

    main()
