# gdb support for programs run under Sabot (Linux PAL).
#
# One-liner from the build directory:
#
#     gdb -x build/sabot-gdb.py --args build/runtime/sabot run -- ./prog
#
# then `break main` and `run`: the breakpoint is pending until the libos
# loads ./prog and registers it with gdb (the PAL appends it to the r_debug
# list of the sabot process), and `bt` shows app and libos frames.
#
# Auto-loading: the sabot binary names this script in its
# .debug_gdb_scripts section, so gdb loads it by itself once the path is
# trusted, e.g. in ~/.gdbinit (or with -iex on the command line):
#
#     add-auto-load-safe-path /path/to/build
#
# i.e. `gdb -iex 'add-auto-load-safe-path build' --args build/runtime/sabot ...`.
# Loading it twice (auto-load and -x) is harmless.

import gdb

# Every app system call reaches the libos as a SIGSYS (Syscall User
# Dispatch): the libos handles it, gdb must not stop or even report it.
gdb.execute("handle SIGSYS nostop noprint pass", to_string=True)

# App objects are known to gdb only once the libos has loaded them, so every
# app breakpoint starts pending: do not ask about it each time.
gdb.execute("set breakpoint pending on", to_string=True)


class SabotInfo(gdb.Command):
    """Show how Sabot is set up for this gdb session.

Usage: info sabot"""

    def __init__(self):
        super().__init__("info sabot", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        print("Sabot gdb support loaded: SIGSYS is passed to the libos silently;")
        print("breakpoints on app code are made pending without asking.")
        print("App objects appear in `info sharedlibrary` once the libos loads them;")
        print("`break main` stops in the app (sabot's own entry is sabot_main).")


SabotInfo()
