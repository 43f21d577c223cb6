#!/bin/sh
# Prints the sqlite3 script of the issue 4 test: N (default 100000) INSERT
# statements in one transaction, an index, then aggregate queries.
n=${1:-100000}
cat <<'EOT'
PRAGMA page_size = 4096;
CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, grp TEXT, val REAL, note TEXT);
BEGIN;
EOT
awk -v n="$n" 'BEGIN {
    x = 12345
    for (i = 1; i <= n; i++) {
        x = (x * 1103515245 + 12345) % 2147483648
        printf "INSERT INTO t (k, grp, val, note) VALUES (%d, \047g%02d\047, %d.%02d, \047note-%d\047);\n", x % 100000, x % 37, x % 1000, i % 100, i
    }
}'
cat <<'EOT'
COMMIT;
CREATE INDEX t_k ON t (k);
CREATE INDEX t_grp_val ON t (grp, val);
SELECT count(*), sum(k), min(k), max(k), round(avg(val), 4), total(val) FROM t;
SELECT grp, count(*), sum(k), round(avg(val), 3), max(note) FROM t GROUP BY grp ORDER BY grp;
SELECT count(*) FROM t WHERE k BETWEEN 1000 AND 2000;
SELECT id, k, note FROM t WHERE k = 4242 ORDER BY id;
SELECT grp, max(val) FROM t WHERE grp IN ('g05', 'g17') GROUP BY grp;
SELECT count(DISTINCT k), count(DISTINCT grp) FROM t;
EXPLAIN QUERY PLAN SELECT * FROM t WHERE k = 7;
UPDATE t SET val = val * 2 WHERE grp = 'g01';
DELETE FROM t WHERE k % 10 = 0;
SELECT count(*), round(sum(val), 2) FROM t;
PRAGMA integrity_check;
VACUUM;
PRAGMA integrity_check;
SELECT 'ok';
EOT
