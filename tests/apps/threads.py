# Issue 4: a python3 program with 8 threads, sqlite3, json and files in the
# read-write mount (the cwd). Its output is deterministic: the test compares
# it with a native run.
import hashlib
import json
import os
import queue
import sqlite3
import threading

NTHREADS = 8
ROWS = 2000
DB = "threads.db"

for f in (DB, DB + "-journal", DB + "-wal", DB + "-shm"):
    if os.path.exists(f):
        os.remove(f)
con = sqlite3.connect(DB)
con.execute("PRAGMA journal_mode=WAL")  # -shm is a MAP_SHARED file mapping
con.execute("CREATE TABLE r (t INTEGER, i INTEGER, v TEXT, h TEXT)")
con.commit()

barrier = threading.Barrier(NTHREADS)
results = queue.Queue()


def work(t):
    barrier.wait()  # all threads write the db and files at the same time
    rows = []
    for i in range(ROWS):
        v = "t%d-%d" % (t, i * i % 9973)
        rows.append((t, i, v, hashlib.sha256(v.encode()).hexdigest()[:16]))
    c = sqlite3.connect(DB, timeout=60)
    with c:
        c.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", rows)
    c.close()
    doc = {"thread": t, "rows": ROWS, "first": rows[0], "last": rows[-1],
           "sum": sum(i for _, i, _, _ in rows)}
    os.makedirs("out", exist_ok=True)
    with open("out/t%d.json" % t, "w") as f:
        json.dump(doc, f, sort_keys=True, indent=1)
    with open("out/t%d.bin" % t, "wb") as f:
        for i in range(256):
            f.write(bytes([(t * 31 + i * 7 + j) & 255 for j in range(1024)]))
    results.put(t)


threads = [threading.Thread(target=work, args=(t,), name="w%d" % t) for t in range(NTHREADS)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("threads done:", sorted(results.get() for _ in range(NTHREADS)))

for t in range(NTHREADS):
    with open("out/t%d.json" % t) as f:
        doc = json.load(f)
    with open("out/t%d.bin" % t, "rb") as f:
        data = f.read()
    st = os.stat("out/t%d.bin" % t)
    print("t%d json rows=%d sum=%d last=%s bin size=%d/%d sha256=%s" % (
        t, doc["rows"], doc["sum"], doc["last"][2], len(data), st.st_size,
        hashlib.sha256(data).hexdigest()[:16]))

for row in con.execute("SELECT t, count(*), sum(i), min(v), max(h) FROM r GROUP BY t ORDER BY t"):
    print("db", row)
con.execute("CREATE INDEX r_v ON r (v)")
print("db total", con.execute("SELECT count(*), count(DISTINCT v) FROM r").fetchone())
print("db lookup", con.execute("SELECT t, i FROM r WHERE v = 't3-16'").fetchall())
print("integrity", con.execute("PRAGMA integrity_check").fetchone()[0])
con.close()

os.rename("out/t0.json", "out/renamed.json")
print("listing", sorted(os.listdir("out")))
print("json roundtrip", json.loads(json.dumps({"a": [1, 2.5, None, True], "b": "\u00e9"})))
print("ok")
