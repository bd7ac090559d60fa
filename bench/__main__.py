"""Run every benchmark and print its figures."""
from . import extraction

if __name__ == "__main__":
    extraction.main()
