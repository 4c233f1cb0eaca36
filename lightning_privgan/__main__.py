import sys

from .cli import main

# Guarded: a process pool's workers (spawned, or the fork server that forks them) import this
# module again (as __mp_main__).
if __name__ == "__main__":
    sys.exit(main())
