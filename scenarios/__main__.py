"""``python -m scenarios``: the ``qnetsim`` command line without the installed script."""

from scenarios.cli import main

if __name__ == "__main__":
    main()
