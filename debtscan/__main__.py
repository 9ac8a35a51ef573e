"""Allow `python -m debtscan`."""

from debtscan.interrupt import run

if __name__ == "__main__":
    run()
