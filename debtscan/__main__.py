"""Allow `python -m debtscan`."""

from debtscan.cli import main

if __name__ == "__main__":
    main()
