# tmpfs shared by the processes of one run, from python: a unix socket
# bound in a /tmp directory a forked child makes after the fork, connected
# to from the parent; a multiprocessing Manager (its server makes its
# socket directory after the fork); a forkserver Pool (the server opens
# semaphores named after it started).
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import time


def square(x):
    return x * x


def socket_made_after_fork():
    base = tempfile.gettempdir()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        d = tempfile.mkdtemp(dir=base)
        path = os.path.join(d, "sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(1)
        os.write(w, path.encode())
        os.close(w)
        c, _ = s.accept()
        c.sendall(b"hello from the child")
        c.close()
        os._exit(0)
    os.close(w)
    path = os.read(r, 4096).decode()
    os.close(r)
    import stat

    print("socket node:", stat.S_ISSOCK(os.stat(path).st_mode))
    os.chmod(path, 0o600)
    print("socket node mode:", oct(os.stat(path).st_mode & 0o777))
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    print("unix socket:", c.recv(100).decode())
    c.close()
    _, status = os.waitpid(pid, 0)
    os.unlink(path)
    os.rmdir(os.path.dirname(path))
    print("child status:", status)


def main():
    socket_made_after_fork()
    with mp.Manager() as m:
        d = m.dict()
        lst = m.list()
        procs = [mp.Process(target=lst.append, args=(i,)) for i in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        d["sum"] = sum(lst)
        print("manager:", dict(d), sorted(lst))
    if "no-forkserver" in sys.argv:
        # The checkpoint fork does not carry a listening socket yet, and the
        # forkserver's server accepts on one it inherits.
        print("forkserver pool: skipped")
    else:
        ctx = mp.get_context("forkserver")
        with ctx.Pool(2) as p:
            print("forkserver pool:", sum(p.map(square, range(30))))
    print("shared_mp: ALL OK")


if __name__ == "__main__":
    main()
