#!/usr/bin/env python3
"""Benchmark helper: fill a ddnsd store with N records, in one transaction.

  fill_store.py DB N

DB must have ddnsd's schema already (made by ddnsd or ddnsctl).  The
records are host0.bench.example.com ... for provider "bench" (ddnsctl's,
with one key hash and an address each), as ddnsctl add would leave them.
"""
import sqlite3
import sys

db_path, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(db_path)
h = "sha256:" + "ab" * 32
db.executemany("INSERT INTO records (name, provider, key_hash, ipv4, last_change, source)"
               " VALUES (?, 'bench', ?, ?, 1700000000, 'ddnsctl')",
               (("host%d.bench.example.com" % i, h,
                 "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255))
                for i in range(n)))
db.commit()
