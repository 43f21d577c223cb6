# gdb helper for the KVM PAL's gdbstub (`sabot run --pal kvm --gdb PORT`).
#
#   gdb -x BUILD/sabot-kvm-gdb.py PROGRAM
#   (gdb) sabot-kvm PORT [GUEST_IMAGE]
#
# connects to the tender on 127.0.0.1:PORT, adds the symbols of the guest
# image (PAL + libos + shim, linked at its own addresses; default: the
# sabot-kvm-guest.elf next to this script) and reads the program's code
# from its file, since the app is not loaded yet when gdb first stops (a
# breakpoint set then is written when the libos enters the program).
import os

import gdb

_HERE = os.path.dirname(os.path.abspath(__file__))


class SabotKvm(gdb.Command):
    """sabot-kvm PORT [GUEST_IMAGE]: attach to `sabot run --pal kvm --gdb PORT`."""

    def __init__(self):
        super().__init__("sabot-kvm", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if not args:
            raise gdb.GdbError("usage: sabot-kvm PORT [GUEST_IMAGE]")
        image = args[1] if len(args) > 1 else os.path.join(_HERE, "sabot-kvm-guest.elf")
        gdb.execute("set trust-readonly-sections on")
        gdb.execute("target remote 127.0.0.1:%d" % int(args[0]), from_tty)
        if os.path.exists(image):
            gdb.execute("add-symbol-file %s" % image, from_tty)
        else:
            gdb.write("sabot-kvm: no guest image at %s (libos symbols not loaded)\n" % image)


SabotKvm()
