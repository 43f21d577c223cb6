# A small python3 program for the Sabot example: threads, sqlite3, json and
# a file written to the read-write /app/out directory.
import json
import sqlite3
import threading

results = {}


def square(n):
    results[n] = n * n


threads = [threading.Thread(target=square, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()

db = sqlite3.connect("/app/out/squares.db")
db.execute("CREATE TABLE IF NOT EXISTS sq (n INTEGER PRIMARY KEY, v INTEGER)")
db.executemany("INSERT OR REPLACE INTO sq VALUES (?, ?)", sorted(results.items()))
db.commit()
total = db.execute("SELECT sum(v) FROM sq").fetchone()[0]
with open("/app/out/squares.json", "w") as f:
    json.dump({"squares": [results[n] for n in range(8)], "sum": total}, f)
print("hello from python3 under sabot: sum of squares 0..7 =", total)
