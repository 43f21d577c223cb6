# python3 multiprocessing (the fork start method): Pool, Queue,
# Value/Array/Lock (shared memory in /dev/shm or /tmp, SemLock futexes),
# shared_memory (shm_open), Pool.terminate (SIGTERM to the workers), and
# the spawn start method (semaphores opened by name after exec). Prints the
# same lines natively and under sabot. A Manager and a forkserver Pool,
# which need the tmpfs shared between processes, are in shared_mp.py.
import multiprocessing as mp
import os
import time
from multiprocessing import shared_memory


def square(x):
    return x * x


def put_items(q, base):
    for i in range(5):
        q.put(base * 10 + i)


def add_under_lock(v, arr, lock, n):
    for _ in range(n):
        with lock:
            v.value += 1
            arr[0] += 2


def write_shm(name):
    s = shared_memory.SharedMemory(name=name)
    s.buf[:5] = b"child"
    s.close()


def sleeper(_):
    time.sleep(60)


def main():
    with mp.Pool(4) as p:
        print("pool map:", sum(p.map(square, range(100))), p.map(square, range(8)))
        print("pool imap_unordered:", sorted(p.imap_unordered(square, range(20)))[-3:])
        print("pool apply_async:", p.apply_async(square, (12,)).get(timeout=30))

    q = mp.Queue()
    procs = [mp.Process(target=put_items, args=(q, b)) for b in range(4)]
    for pr in procs:
        pr.start()
    got = sorted(q.get(timeout=30) for _ in range(20))
    for pr in procs:
        pr.join()
    print("queue:", got)

    v = mp.Value("i", 0)
    arr = mp.Array("i", [0, 0, 0])
    lock = mp.Lock()
    procs = [mp.Process(target=add_under_lock, args=(v, arr, lock, 500)) for _ in range(4)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join()
    print("value/array/lock:", v.value, list(arr), [pr.exitcode for pr in procs])

    s = shared_memory.SharedMemory(create=True, size=4096)
    pr = mp.Process(target=write_shm, args=(s.name,))
    pr.start()
    pr.join()
    print("shared_memory:", bytes(s.buf[:5]))
    s.close()
    s.unlink()

    # terminate() sends SIGTERM to workers busy in a task.
    p = mp.Pool(2)
    p.map_async(sleeper, range(2))
    time.sleep(0.5)
    t0 = time.monotonic()
    p.terminate()
    p.join()
    print("terminate: quick", time.monotonic() - t0 < 10)

    # spawn: children exec python again and open the semaphores by name.
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as p:
        print("spawn pool:", sum(p.map(square, range(50))))
    sv, sarr, slock = ctx.Value("i", 0), ctx.Array("i", [0]), ctx.Lock()
    procs = [ctx.Process(target=add_under_lock, args=(sv, sarr, slock, 100)) for _ in range(2)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join()
    print("spawn value:", sv.value, list(sarr), [pr.exitcode for pr in procs])

    print("affinity:", len(os.sched_getaffinity(0)) > 0, "cpu_count:", os.cpu_count() > 0)
    print("mp: ALL OK")


if __name__ == "__main__":
    main()
