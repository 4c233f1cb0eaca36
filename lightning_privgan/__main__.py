import sys

from .cli import main

# Guarded: a process pool's spawned workers import this module again (as __mp_main__).
if __name__ == "__main__":
    sys.exit(main())
